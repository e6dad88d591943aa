package schedule

import (
	"strconv"
	"strings"
	"time"
)

// Cadence is the shape of a schedule a person can read.
type Cadence int

// Cadences Describe recognises.
const (
	Daily    Cadence = iota + 1 // every day at Hour:Minute
	Weekdays                    // Monday to Friday at Hour:Minute
	Weekly                      // one weekday at Hour:Minute
	Hourly                      // every hour at Minute past
	Interval                    // every Every
)

// Phrase is a schedule in parts a page puts into words in the reader's
// language: "weekdays at 08:30" / "工作日 08:30".
type Phrase struct {
	Cadence Cadence
	Weekday time.Weekday // for Weekly
	Hour    int
	Minute  int
	Every   time.Duration // for Interval
}

// Clock is the phrase's time of day as HH:MM.
func (p Phrase) Clock() string {
	return pad(p.Hour) + ":" + pad(p.Minute)
}

func pad(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// Describe reads the specs people set and jobs use — "30 8 * * 1-5",
// "0 7 * * *", "0 9 * * 1", "7 * * * *", "*/5 * * * *", "@hourly",
// "@daily", "@every 1m" — as a Phrase. Anything else (a time zone
// prefix, day-of-month rules, lists) is not worded: ok is false and the
// page shows the spec itself.
func Describe(spec string) (p Phrase, ok bool) {
	spec = strings.TrimSpace(spec)
	switch spec {
	case "@hourly":
		return Phrase{Cadence: Hourly}, true
	case "@daily", "@midnight":
		return Phrase{Cadence: Daily}, true
	}
	if d, found := strings.CutPrefix(spec, "@every "); found {
		every, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || every <= 0 {
			return Phrase{}, false
		}
		return Phrase{Cadence: Interval, Every: every}, true
	}
	f := strings.Fields(spec)
	if len(f) != 5 || f[2] != "*" || f[3] != "*" {
		return Phrase{}, false
	}
	minute, okM := number(f[0], 59)
	if f[1] == "*" && f[4] == "*" {
		if okM {
			return Phrase{Cadence: Hourly, Minute: minute}, true
		}
		if n, found := strings.CutPrefix(f[0], "*/"); found {
			if k, okK := number(n, 59); okK && k > 0 && 60%k == 0 {
				return Phrase{Cadence: Interval, Every: time.Duration(k) * time.Minute}, true
			}
		}
		return Phrase{}, false
	}
	hour, okH := number(f[1], 23)
	if !okM || !okH {
		return Phrase{}, false
	}
	p = Phrase{Hour: hour, Minute: minute}
	switch dow := strings.ToUpper(f[4]); dow {
	case "*":
		p.Cadence = Daily
	case "1-5", "MON-FRI":
		p.Cadence = Weekdays
	default:
		wd, found := weekday(dow)
		if !found {
			return Phrase{}, false
		}
		p.Cadence, p.Weekday = Weekly, wd
	}
	return p, true
}

// Spec is the cron spec a picker's choice stands for: days is "daily",
// "weekdays" or a weekday 0–6 (Sunday is 0); clock is HH:MM.
func Spec(days, clock string) (string, bool) {
	h, m, found := strings.Cut(clock, ":")
	hour, okH := number(h, 23)
	minute, okM := number(m, 59)
	if !found || !okH || !okM || len(m) != 2 {
		return "", false
	}
	var dow string
	switch days {
	case "daily":
		dow = "*"
	case "weekdays":
		dow = "1-5"
	default:
		d, ok := number(days, 6)
		if !ok {
			return "", false
		}
		dow = strconv.Itoa(d)
	}
	return strconv.Itoa(minute) + " " + strconv.Itoa(hour) + " * * " + dow, true
}

func number(s string, most int) (int, bool) {
	if s == "" || len(s) > 2 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > most {
		return 0, false
	}
	return n, true
}

var dayNames = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

func weekday(s string) (time.Weekday, bool) {
	if n, ok := number(s, 7); ok {
		return time.Weekday(n % 7), true
	}
	for i, d := range dayNames {
		if s == d {
			return time.Weekday(i), true
		}
	}
	return 0, false
}
