package configuration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/dbkeep/dbkeep/core/internal/compress"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// maxDatabaseName bounds one listed database name.
const maxDatabaseName = 255

// check validates in as a whole, naming every wrong field by its JSON path,
// and returns what the store keeps.
func (j *Jobs) check(ctx context.Context, in JobInput) (store.JobInput, error) {
	var errs spec.ValidationError
	out := store.JobInput{Name: checkName(&errs, "name", in.Name), Enabled: true, Compression: "zstd"}
	if in.Enabled != nil {
		out.Enabled = *in.Enabled
	}

	if err := j.checkRef(ctx, &errs, "sourceId", in.SourceID, "source", func(id int64) error {
		_, err := j.s.st.Sources().Get(ctx, id)
		return err
	}); err != nil {
		return out, err
	}
	out.SourceID = in.SourceID

	out.AllDatabases, out.Databases = checkDatabases(&errs, in.Databases)

	if err := j.checkDestinations(ctx, &errs, in.Destinations, &out); err != nil {
		return out, err
	}

	if in.Schedule != nil && strings.TrimSpace(*in.Schedule) != "" {
		out.Schedule = strings.TrimSpace(*in.Schedule)
		if msg := checkSchedule(out.Schedule); msg != "" {
			errs.Add("schedule", msg)
		}
	}
	if in.Timezone != nil && *in.Timezone != "" {
		out.Timezone = *in.Timezone
		if msg := checkTimezone(out.Timezone); msg != "" {
			errs.Add("timezone", msg)
		}
	}

	if in.Compression != nil {
		out.Compression = *in.Compression
	}
	// The levels each algorithm accepts are package compress's, the code
	// that applies them; a job without a level uses the algorithm's default.
	levels, known := compress.Levels(compress.Algorithm(out.Compression))
	switch {
	case out.Compression == "none":
		if in.CompressionLevel != nil {
			errs.Add("compressionLevel", "must be null when compression is none")
		}
	case !known:
		errs.Add("compression", `must be one of "zstd", "gzip", "brotli", "none"`)
	case in.CompressionLevel != nil && (*in.CompressionLevel < levels.Min || *in.CompressionLevel > levels.Max):
		errs.Add("compressionLevel", fmt.Sprintf("must be from %d to %d for %s, or null for its default (%d)", levels.Min, levels.Max, out.Compression, levels.Default))
	}
	out.CompressionLevel = in.CompressionLevel

	if in.EncryptionProfileID != nil {
		if err := j.checkRef(ctx, &errs, "encryptionProfileId", *in.EncryptionProfileID, "encryption profile", func(id int64) error {
			_, err := j.s.st.EncryptionProfiles().Get(ctx, id)
			return err
		}); err != nil {
			return out, err
		}
		out.EncryptionProfileID = in.EncryptionProfileID
	}

	if err := j.checkNotifications(ctx, &errs, in.Notifications, &out); err != nil {
		return out, err
	}
	return out, errs.Err()
}

// checkRef adds an error at field when id is not positive or get finds no
// row; it returns only errors of the lookup itself.
func (j *Jobs) checkRef(_ context.Context, errs *spec.ValidationError, field string, id int64, noun string, get func(int64) error) error {
	if id < 1 {
		errs.Add(field, fmt.Sprintf("is required: the id of a %s", noun))
		return nil
	}
	found, err := exists(get(id))
	if err != nil {
		return err
	}
	if !found {
		errs.Add(field, fmt.Sprintf("no %s has id %d", noun, id))
	}
	return nil
}

// checkDatabases reads "all" or a list of names.
func checkDatabases(errs *spec.ValidationError, raw json.RawMessage) (all bool, names []string) {
	const want = `must be "all" or a non-empty list of database names`
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		errs.Add("databases", "is required: "+want[len("must be "):])
		return false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s != AllDatabases {
			errs.Add("databases", want)
		}
		return true, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		errs.Add("databases", want)
		return false, nil
	}
	for i, item := range list {
		field := indexed("databases", i)
		var name string
		if err := json.Unmarshal(item, &name); err != nil {
			errs.Add(field, "must be a string")
			continue
		}
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			errs.Add(field, "must not be empty")
		case len(name) > maxDatabaseName:
			errs.Add(field, fmt.Sprintf("must be at most %d bytes", maxDatabaseName))
		case slices.Contains(names, name):
			errs.Add(field, fmt.Sprintf("%q is listed twice", name))
		default:
			names = append(names, name)
		}
	}
	return false, names
}

func (j *Jobs) checkDestinations(ctx context.Context, errs *spec.ValidationError, in []JobDestination, out *store.JobInput) error {
	if len(in) == 0 {
		errs.Add("destinations", "needs at least one destination")
		return nil
	}
	seen := map[int64]bool{}
	for i, d := range in {
		field := indexed("destinations", i)
		if err := j.checkRef(ctx, errs, field+".destinationId", d.DestinationID, "destination", func(id int64) error {
			_, err := j.s.st.Destinations().Get(ctx, id)
			return err
		}); err != nil {
			return err
		}
		if d.DestinationID > 0 && seen[d.DestinationID] {
			errs.Add(field+".destinationId", fmt.Sprintf("destination %d is listed twice", d.DestinationID))
		}
		seen[d.DestinationID] = true
		r := checkRetention(errs, field+".retention", d.Retention)
		out.Destinations = append(out.Destinations, store.JobDestination{DestinationID: d.DestinationID, Retention: r})
	}
	return nil
}

// checkRetention validates one policy (DESIGN §4): each policy takes only
// its own numbers, counts are whole and positive (GFS buckets may be 0 to
// keep none of that kind), and a policy that would delete everything is
// refused.
func checkRetention(errs *spec.ValidationError, field string, r *Retention) store.Retention {
	if r == nil {
		errs.Add(field, `is required: {"policy": "keep-all"}, "simple" or "gfs"`)
		return store.Retention{}
	}
	out := store.Retention{Policy: r.Policy, KeepLast: r.KeepLast, KeepDays: r.KeepDays, KeepDaily: r.KeepDaily,
		KeepWeekly: r.KeepWeekly, KeepMonthly: r.KeepMonthly, KeepYearly: r.KeepYearly}
	numbers := []struct {
		name string
		v    *int
		min  int
	}{
		{"keepLast", r.KeepLast, 1}, {"keepDays", r.KeepDays, 1},
		{"keepDaily", r.KeepDaily, 0}, {"keepWeekly", r.KeepWeekly, 0},
		{"keepMonthly", r.KeepMonthly, 0}, {"keepYearly", r.KeepYearly, 0},
	}
	allowed := map[string][]string{
		store.RetentionKeepAll: {},
		store.RetentionSimple:  {"keepLast", "keepDays"},
		store.RetentionGFS:     {"keepLast", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly"},
	}
	takes, known := allowed[r.Policy]
	if !known {
		errs.Add(field+".policy", `must be "keep-all", "simple" or "gfs"`)
		return out
	}
	keeps := false
	for _, n := range numbers {
		if n.v == nil {
			continue
		}
		switch {
		case !slices.Contains(takes, n.name):
			errs.Add(field+"."+n.name, fmt.Sprintf("is not used by the %s policy; leave it out", r.Policy))
		case *n.v < n.min:
			errs.Add(field+"."+n.name, fmt.Sprintf("must be %d or more", n.min))
		case *n.v > 100000:
			errs.Add(field+"."+n.name, "must be at most 100000")
		case *n.v > 0:
			keeps = true
		}
	}
	if r.Policy != store.RetentionKeepAll && !keeps {
		what := "keepLast and/or keepDays"
		if r.Policy == store.RetentionGFS {
			what = "keepLast or at least one of keepDaily, keepWeekly, keepMonthly, keepYearly above 0"
		}
		errs.Add(field, fmt.Sprintf("the %s policy needs %s", r.Policy, what))
	}
	return out
}

func (j *Jobs) checkNotifications(ctx context.Context, errs *spec.ValidationError, in []JobNotification, out *store.JobInput) error {
	seen := map[int64]bool{}
	for i, n := range in {
		field := indexed("notifications", i)
		if err := j.checkRef(ctx, errs, field+".channelId", n.ChannelID, "notification channel", func(id int64) error {
			_, err := j.s.st.NotificationChannels().Get(ctx, id)
			return err
		}); err != nil {
			return err
		}
		if n.ChannelID > 0 && seen[n.ChannelID] {
			errs.Add(field+".channelId", fmt.Sprintf("notification channel %d is listed twice", n.ChannelID))
		}
		seen[n.ChannelID] = true
		sn := store.JobNotification{ChannelID: n.ChannelID}
		if len(n.Events) == 0 {
			errs.Add(field+".events", `needs at least one of "success", "failure", "partial"`)
		}
		for k, ev := range n.Events {
			var flag *bool
			switch ev {
			case EventSuccess:
				flag = &sn.OnSuccess
			case EventFailure:
				flag = &sn.OnFailure
			case EventPartial:
				flag = &sn.OnPartial
			default:
				errs.Add(indexed(field+".events", k), `must be "success", "failure" or "partial"`)
				continue
			}
			if *flag {
				errs.Add(indexed(field+".events", k), fmt.Sprintf("%q is listed twice", ev))
			}
			*flag = true
		}
		out.Notifications = append(out.Notifications, sn)
	}
	return nil
}
