"""Setting events up (details, programme, tables, publishing) and the demo event."""
