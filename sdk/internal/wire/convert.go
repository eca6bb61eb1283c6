package wire

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/dbkeep/dbkeep/sdk/internal/pb/dbkeep/plugin/v1"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

var kinds = map[spec.Kind]pb.Kind{
	spec.KindDatabase:     pb.Kind_KIND_DATABASE,
	spec.KindStorage:      pb.Kind_KIND_STORAGE,
	spec.KindNotification: pb.Kind_KIND_NOTIFICATION,
	spec.KindOIDC:         pb.Kind_KIND_OIDC,
}

var fieldTypes = map[spec.FieldType]pb.FieldType{
	spec.String:    pb.FieldType_FIELD_TYPE_STRING,
	spec.Secret:    pb.FieldType_FIELD_TYPE_SECRET,
	spec.Int:       pb.FieldType_FIELD_TYPE_INT,
	spec.Bool:      pb.FieldType_FIELD_TYPE_BOOL,
	spec.Select:    pb.FieldType_FIELD_TYPE_SELECT,
	spec.Multiline: pb.FieldType_FIELD_TYPE_MULTILINE,
	spec.File:      pb.FieldType_FIELD_TYPE_FILE,
}

var levels = map[spec.Level]pb.LogLevel{
	spec.LevelDebug: pb.LogLevel_LOG_LEVEL_DEBUG,
	spec.LevelInfo:  pb.LogLevel_LOG_LEVEL_INFO,
	spec.LevelWarn:  pb.LogLevel_LOG_LEVEL_WARN,
	spec.LevelError: pb.LogLevel_LOG_LEVEL_ERROR,
}

// reverse inverts one of the maps above.
func reverse[K, V comparable](m map[K]V) map[V]K {
	out := make(map[V]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

var (
	kindsFromPB      = reverse(kinds)
	fieldTypesFromPB = reverse(fieldTypes)
	levelsFromPB     = reverse(levels)
)

func descriptionToPB(d spec.Description) *pb.Description {
	caps := make([]string, len(d.Capabilities))
	for i, c := range d.Capabilities {
		caps[i] = string(c)
	}
	return &pb.Description{
		Id:            d.ID,
		Kind:          kinds[d.Kind],
		Name:          d.Name,
		DisplayName:   d.DisplayName,
		Summary:       d.Summary,
		Version:       d.Version,
		SdkVersion:    d.SDKVersion,
		ProtocolMajor: uint32(d.ProtocolMajor),
		ProtocolMinor: uint32(d.ProtocolMinor),
		Capabilities:  caps,
		ConfigSchema:  schemaToPB(d.Schema),
	}
}

func descriptionFromPB(p *pb.Description) spec.Description {
	caps := make([]spec.Capability, len(p.GetCapabilities()))
	for i, c := range p.GetCapabilities() {
		caps[i] = spec.Capability(c)
	}
	return spec.Description{
		ID:            p.GetId(),
		Kind:          kindsFromPB[p.GetKind()],
		Name:          p.GetName(),
		DisplayName:   p.GetDisplayName(),
		Summary:       p.GetSummary(),
		Version:       p.GetVersion(),
		SDKVersion:    p.GetSdkVersion(),
		ProtocolMajor: int(p.GetProtocolMajor()),
		ProtocolMinor: int(p.GetProtocolMinor()),
		Capabilities:  caps,
		Schema:        schemaFromPB(p.GetConfigSchema()),
	}
}

func schemaToPB(s spec.Schema) *pb.ConfigSchema {
	out := &pb.ConfigSchema{}
	for _, f := range s.Fields {
		pf := &pb.ConfigField{
			Name: f.Name, Label: f.Label, Type: fieldTypes[f.Type], Required: f.Required,
			DefaultValue: f.Default, Help: f.Help, Group: f.Group, Sensitive: f.Sensitive,
		}
		for _, o := range f.Options {
			pf.Options = append(pf.Options, &pb.FieldOption{Value: o.Value, Label: o.Label})
		}
		out.Fields = append(out.Fields, pf)
	}
	return out
}

func schemaFromPB(p *pb.ConfigSchema) spec.Schema {
	var s spec.Schema
	for _, pf := range p.GetFields() {
		f := spec.Field{
			Name: pf.GetName(), Label: pf.GetLabel(), Type: fieldTypesFromPB[pf.GetType()], Required: pf.GetRequired(),
			Default: pf.GetDefaultValue(), Help: pf.GetHelp(), Group: pf.GetGroup(), Sensitive: pf.GetSensitive(),
		}
		for _, o := range pf.GetOptions() {
			f.Options = append(f.Options, spec.Option{Value: o.GetValue(), Label: o.GetLabel()})
		}
		s.Fields = append(s.Fields, f)
	}
	return s
}

func configToPB(c spec.Config) *pb.Config {
	if c == nil {
		return nil
	}
	return &pb.Config{Values: c}
}

func configFromPB(p *pb.Config) spec.Config {
	out := make(spec.Config, len(p.GetValues()))
	for k, v := range p.GetValues() {
		out[k] = v
	}
	return out
}

func fieldErrorsToPB(fe []spec.FieldError) []*pb.FieldError {
	out := make([]*pb.FieldError, len(fe))
	for i, f := range fe {
		out[i] = &pb.FieldError{Field: f.Field, Message: f.Message}
	}
	return out
}

func fieldErrorsFromPB(fe []*pb.FieldError) []spec.FieldError {
	out := make([]spec.FieldError, len(fe))
	for i, f := range fe {
		out[i] = spec.FieldError{Field: f.GetField(), Message: f.GetMessage()}
	}
	return out
}

func logToPB(level spec.Level, msg string) *pb.LogEntry {
	return &pb.LogEntry{Level: levels[level], Message: msg, Time: timestamppb.Now()}
}

func logFromPB(p *pb.LogEntry) spec.LogEntry {
	return spec.LogEntry{Level: levelsFromPB[p.GetLevel()], Message: p.GetMessage(), Time: timeFromPB(p.GetTime())}
}

func progressToPB(p spec.Progress) *pb.Progress {
	return &pb.Progress{DoneBytes: p.DoneBytes, TotalBytes: p.TotalBytes, Stage: p.Stage}
}

func progressFromPB(p *pb.Progress) spec.Progress {
	return spec.Progress{DoneBytes: p.GetDoneBytes(), TotalBytes: p.GetTotalBytes(), Stage: p.GetStage()}
}

func timeToPB(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func timeFromPB(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime().UTC()
}
