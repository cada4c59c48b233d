// Reads an iCalendar file on stdin, parses it with ical.js (the parser Mozilla Thunderbird
// uses) and prints what a calendar client would show, as JSON: the calendar's properties
// and one object per VEVENT, times resolved through the file's own VTIMEZONE.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

const calendar = new ICAL.Component(ICAL.parse(text));
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}

const value = (component, name) => {
  const prop = component.getFirstProperty(name);
  return prop ? prop.getFirstValue() : null;
};

const time = (component, name) => {
  const prop = component.getFirstProperty(name);
  if (!prop) return null;
  const t = prop.getFirstValue();
  return {
    utc: t.toJSDate().toISOString(),
    local: t.toString(),
    tzid: prop.getParameter("tzid") ?? null,
    offset: t.utcOffset(),
  };
};

const events = calendar.getAllSubcomponents("vevent").map((vevent) => ({
  uid: value(vevent, "uid"),
  sequence: value(vevent, "sequence"),
  status: value(vevent, "status"),
  summary: value(vevent, "summary"),
  description: value(vevent, "description"),
  location: value(vevent, "location"),
  url: value(vevent, "url"),
  dtstamp: value(vevent, "dtstamp")?.toString() ?? null,
  lastModified: value(vevent, "last-modified")?.toString() ?? null,
  start: time(vevent, "dtstart"),
  end: time(vevent, "dtend"),
  organizer: value(vevent, "organizer"),
}));

console.log(
  JSON.stringify({
    method: value(calendar, "method"),
    name: value(calendar, "x-wr-calname"),
    refresh: value(calendar, "refresh-interval")?.toString() ?? null,
    timezones: calendar.getAllSubcomponents("vtimezone").map((tz) => value(tz, "tzid")),
    events,
  }),
);
