package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/dbkeep/dbkeep/plugins/database/mongodb/stream"
	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Dump header values and metadata keys.
const (
	formatNative    = "mongodb-native"
	extensionNative = "mdbk"

	metaStreamVersion = "stream_version"
	metaCollections   = "collections"
	metaViews         = "views"
)

// Dump writes one database: natively as a stream of BSON records, or with
// mongodump when the configuration asks for it.
func (e *engine) Dump(ctx context.Context, cfg spec.Config, req database.DumpRequest, w database.DumpWriter) error {
	if len(req.Options) > 0 {
		return fmt.Errorf("dump options %q: this plugin takes none: %w", optionKeys(req.Options), spec.ErrInvalidArgument)
	}
	if err := checkDatabaseName(req.Database); err != nil {
		return err
	}
	client, s, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer disconnect(client)
	srv, err := queryServer(ctx, client)
	if err != nil {
		return err
	}
	if ok, err := databaseExists(ctx, client, req.Database); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("database %q does not exist: %w", req.Database, spec.ErrNotFound)
	}
	if s.tool == toolMongodump {
		return mongodump(ctx, s, srv, req.Database, w)
	}
	return dumpNative(ctx, client, srv, req.Database, w)
}

// namespace is one entry of listCollections.
type namespace struct {
	Name    string   `bson:"name"`
	Type    string   `bson:"type"`
	Options bson.Raw `bson:"options"`
}

// listNamespaces returns the collections (and time series) and the views of
// db, each sorted by name, without system.* collections.
func listNamespaces(ctx context.Context, db *mongo.Database) (colls, views []namespace, err error) {
	cur, err := db.ListCollections(ctx, bson.D{})
	if err != nil {
		return nil, nil, classify(ctx, "list collections", err)
	}
	var all []namespace
	if err := cur.All(ctx, &all); err != nil {
		return nil, nil, classify(ctx, "list collections", err)
	}
	for _, ns := range all {
		switch {
		case strings.HasPrefix(ns.Name, "system."):
		case ns.Type == "view":
			views = append(views, ns)
		default:
			if ns.Type == "" {
				ns.Type = "collection"
			}
			colls = append(colls, ns)
		}
	}
	sort.Slice(colls, func(i, j int) bool { return colls[i].Name < colls[j].Name })
	sort.Slice(views, func(i, j int) bool { return views[i].Name < views[j].Name })
	return colls, views, nil
}

// dumpNative streams db into w. Memory holds one cursor batch and one
// chunk of output, whatever the database's size.
func dumpNative(ctx context.Context, client *mongo.Client, srv database.ServerInfo, name string, w database.DumpWriter) error {
	db := client.Database(name)
	colls, views, err := listNamespaces(ctx, db)
	if err != nil {
		return err
	}
	if err := w.Begin(database.DumpHeader{
		Database: name, Format: formatNative, Extension: extensionNative, Server: srv,
		Metadata: map[string]string{
			metaStreamVersion: strconv.Itoa(stream.Version),
			metaCollections:   strconv.Itoa(len(colls)),
			metaViews:         strconv.Itoa(len(views)),
		},
	}); err != nil {
		return err
	}
	out := &progressWriter{w: w, rep: w, stage: "dump"}
	bw := bufio.NewWriterSize(out, spec.ChunkSize)
	sw, err := stream.NewWriter(bw, stream.Header{
		Database: name, ServerVersion: srv.Version, Producer: "dbkeep-database-mongodb " + version,
		Created: time.Now().UTC().UnixMilli(),
	})
	if err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	for _, c := range colls {
		if err := dumpCollection(ctx, db, c, sw, w); err != nil {
			return err
		}
	}
	for _, v := range views {
		if err := sw.View(stream.View{Name: v.Name, Options: v.Options}); err != nil {
			return fmt.Errorf("dump view %q: %w", v.Name, err)
		}
	}
	total, err := sw.Close()
	if err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	out.report()
	w.Log(spec.LevelInfo, fmt.Sprintf("dumped %d collections (%d documents, %d indexes) and %d views of %q",
		total.Collections, total.Documents, total.Indexes, total.Views, name))
	return ctx.Err()
}

// dumpCollection writes one collection: its options, its documents in
// natural order, exactly as the server sends them, then its indexes.
func dumpCollection(ctx context.Context, db *mongo.Database, c namespace, sw *stream.Writer, rep spec.Reporter) error {
	if err := sw.BeginCollection(stream.Collection{Name: c.Name, Type: c.Type, Options: c.Options}); err != nil {
		return fmt.Errorf("dump collection %q: %w", c.Name, err)
	}
	coll := db.Collection(c.Name)
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetBatchSize(1000))
	if err != nil {
		return classify(ctx, fmt.Sprintf("read collection %q", c.Name), err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	var docs int64
	for cur.Next(ctx) {
		if err := sw.Document(cur.Current); err != nil {
			return fmt.Errorf("dump collection %q: %w", c.Name, err)
		}
		docs++
	}
	if err := cur.Err(); err != nil {
		return classify(ctx, fmt.Sprintf("read collection %q", c.Name), err)
	}
	specs, err := indexSpecs(ctx, coll)
	if err != nil {
		return err
	}
	for _, ix := range specs {
		if err := sw.Index(ix); err != nil {
			return fmt.Errorf("dump index of %q: %w", c.Name, err)
		}
	}
	if err := sw.EndCollection(); err != nil {
		return fmt.Errorf("dump collection %q: %w", c.Name, err)
	}
	rep.Log(spec.LevelInfo, fmt.Sprintf("collection %q: %d documents, %d indexes", c.Name, docs, len(specs)))
	return nil
}

// indexSpecs lists the indexes of coll as listIndexes reports them.
func indexSpecs(ctx context.Context, coll *mongo.Collection) ([]bson.Raw, error) {
	cur, err := coll.Indexes().List(ctx)
	if err != nil {
		return nil, classify(ctx, fmt.Sprintf("list indexes of %q", coll.Name()), err)
	}
	var specs []bson.Raw
	if err := cur.All(ctx, &specs); err != nil {
		return nil, classify(ctx, fmt.Sprintf("list indexes of %q", coll.Name()), err)
	}
	return specs, nil
}

func optionKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// progressWriter counts the bytes that reach w and reports them now and then.
type progressWriter struct {
	w     io.Writer
	rep   spec.Reporter
	stage string
	done  int64
	next  int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.done >= p.next {
		p.report()
		p.next = p.done + 8*spec.ChunkSize
	}
	return n, err
}

func (p *progressWriter) report() {
	p.rep.Progress(spec.Progress{DoneBytes: p.done, Stage: p.stage})
}
