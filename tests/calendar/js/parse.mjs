// Reads iCalendar texts with Mozilla's ical.js (the parser inside Thunderbird) and prints what it
// understood as JSON, for tests/app/test_calendars.py to compare with Python's reading.
// Input on stdin: a JSON array of iCalendar texts. Output: a JSON array, one object per text.
// Times are given as UTC seconds computed by ical.js from the file's own VTIMEZONE definitions.
import ICAL from "ical.js";

function address(prop) {
  if (!prop) return null;
  return { value: prop.getFirstValue(), params: prop.toJSON()[1] };
}

function time(prop) {
  if (!prop) return null;
  const value = prop.getFirstValue();
  return {
    utc: value.toUnixTime(),
    tzid: prop.getParameter("tzid") || null,
    zone: value.zone ? value.zone.tzid : null,
    // True only when the zone was built from a VTIMEZONE inside this very file.
    zoneFromFile: Boolean(value.zone && value.zone.component),
  };
}

function readEvent(component) {
  const text = (name) => component.getFirstPropertyValue(name);
  return {
    uid: text("uid"),
    summary: text("summary"),
    description: text("description"),
    location: text("location"),
    url: text("url"),
    status: text("status"),
    sequence: text("sequence"),
    dtstamp: time(component.getFirstProperty("dtstamp")),
    start: time(component.getFirstProperty("dtstart")),
    end: time(component.getFirstProperty("dtend")),
    organizer: address(component.getFirstProperty("organizer")),
    attendees: component.getAllProperties("attendee").map(address),
  };
}

function read(ics) {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  return {
    name: calendar.name,
    method: calendar.getFirstPropertyValue("method"),
    version: calendar.getFirstPropertyValue("version"),
    prodid: calendar.getFirstPropertyValue("prodid"),
    timezones: calendar
      .getAllSubcomponents("vtimezone")
      .map((zone) => zone.getFirstPropertyValue("tzid")),
    events: calendar.getAllSubcomponents("vevent").map(readEvent),
  };
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
process.stdout.write(JSON.stringify(JSON.parse(input).map(read)));
