"""Series of events: grouping events (`grouping`), the series page's figures side by side
(`overview`), who sat with whom at earlier events of a series (`history`) and the people an
attendee sat with (`tablemates`)."""
