package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
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

// Restore options (RestoreRequest.Options).
const optionDrop = "drop"

// Insert batches: ordered inserts of at most this many documents or bytes.
const (
	batchDocuments = 1000
	batchBytes     = 8 << 20
)

// restoreOptions are the parsed RestoreRequest.Options.
type restoreOptions struct{ drop bool }

func parseRestoreOptions(opts map[string]string) (restoreOptions, error) {
	var ro restoreOptions
	for k, v := range opts {
		switch k {
		case optionDrop:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return ro, fmt.Errorf("restore option %s=%q: want true or false: %w", k, v, spec.ErrInvalidArgument)
			}
			ro.drop = b
		default:
			return ro, fmt.Errorf("restore option %q: unknown (this plugin knows %q): %w", k, optionDrop, spec.ErrInvalidArgument)
		}
	}
	return ro, nil
}

// Restore reads a dump of this plugin into req.TargetDatabase.
func (e *engine) Restore(ctx context.Context, cfg spec.Config, req database.RestoreRequest, r io.Reader, rep spec.Reporter) (database.RestoreResult, error) {
	target := targetName(req)
	res := database.RestoreResult{TargetDatabase: target}
	ro, err := parseRestoreOptions(req.Options)
	if err != nil {
		return res, err
	}
	if err := checkDatabaseName(target); err != nil {
		return res, err
	}
	if req.Source.Format != formatNative && req.Source.Format != formatArchive {
		return res, fmt.Errorf("the dump's format is %q; this plugin restores %q and %q: %w", req.Source.Format, formatNative, formatArchive, spec.ErrInvalidArgument)
	}
	client, s, err := connect(ctx, withPrivileged(cfg, req.Privileged))
	if err != nil {
		return res, err
	}
	defer disconnect(client)
	db := client.Database(target)
	existing, err := collectionNames(ctx, db)
	if err != nil {
		return res, err
	}
	if len(existing) > 0 && !ro.drop {
		return res, fmt.Errorf("database %q is not empty (it holds %s): restore into an empty database, or with the option drop=true to replace the dump's collections: %w",
			target, listNames(existing), spec.ErrAlreadyExists)
	}
	in := &countingReader{r: r, rep: rep}
	if req.Source.Format == formatArchive {
		err = mongorestore(ctx, s, req.Source.Database, target, ro.drop, in, rep)
	} else {
		err = restoreNative(ctx, db, ro, in, rep)
	}
	res.BytesRead = in.n
	if err != nil {
		if len(existing) == 0 {
			// The restore made this database: leave nothing half-restored.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			if derr := db.Drop(cctx); derr != nil {
				rep.Log(spec.LevelWarn, fmt.Sprintf("drop the partly restored database %q: %v", target, derr))
			}
			cancel()
		}
		return res, err
	}
	return res, nil
}

// targetName is the database to restore into; empty means the source's name.
func targetName(req database.RestoreRequest) string {
	if req.TargetDatabase != "" {
		return req.TargetDatabase
	}
	return req.Source.Database
}

// withPrivileged lays the privileged credential fields over cfg. When cfg
// connects with a URI and the privileged fields name a user but no URI, that
// user replaces the URI's (its password coming from the password field), so
// the same connection string serves both accounts.
func withPrivileged(cfg, priv spec.Config) spec.Config {
	if len(priv) == 0 {
		return cfg
	}
	out := make(spec.Config, len(cfg)+len(priv))
	for k, v := range cfg {
		out[k] = v
	}
	for k, v := range priv {
		if v != "" {
			out[k] = v
		}
	}
	if uri := cfg[fieldURI]; uri != "" && priv[fieldURI] == "" && priv[fieldUser] != "" {
		if u, err := url.Parse(uri); err == nil {
			u.User = url.User(priv[fieldUser])
			out[fieldURI] = u.String()
			out[fieldPassword] = priv[fieldPassword]
			delete(out, fieldUser)
			if src := priv[fieldAuthSource]; src != "" {
				q := u.Query()
				q.Set("authSource", src)
				u.RawQuery = q.Encode()
				out[fieldURI] = u.String()
				delete(out, fieldAuthSource)
			}
		}
	}
	return out
}

// collectionNames lists the collections and views of db but system.*.
func collectionNames(ctx context.Context, db *mongo.Database) ([]string, error) {
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, classify(ctx, fmt.Sprintf("list collections of %q", db.Name()), err)
	}
	out := names[:0]
	for _, n := range names {
		if !strings.HasPrefix(n, "system.") {
			out = append(out, n)
		}
	}
	return out, nil
}

// listNames quotes at most ten names for a message.
func listNames(names []string) string {
	q := make([]string, 0, 10)
	for i, n := range names {
		if i == 10 {
			q = append(q, fmt.Sprintf("and %d more", len(names)-10))
			break
		}
		q = append(q, strconv.Quote(n))
	}
	return strings.Join(q, ", ")
}

// restoreNative applies a native stream to db, record by record.
func restoreNative(ctx context.Context, db *mongo.Database, ro restoreOptions, in io.Reader, rep spec.Reporter) error {
	sr, err := stream.NewReader(in)
	if err != nil {
		return fmt.Errorf("read dump: %w", err)
	}
	rep.Log(spec.LevelInfo, fmt.Sprintf("restoring a dump of %q (server %s, %s) into %q",
		sr.Header().Database, sr.Header().ServerVersion, sr.Header().Producer, db.Name()))
	var c *collectionRestore
	for {
		rec, err := sr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read dump: %w", err)
		}
		switch rec.Kind {
		case stream.KindCollection:
			var meta stream.Collection
			if err := bson.Unmarshal(rec.Doc, &meta); err != nil {
				return fmt.Errorf("read dump: %w", err)
			}
			if err := createNamespace(ctx, db, meta.Name, meta.Options, ro.drop); err != nil {
				return err
			}
			c = &collectionRestore{coll: db.Collection(meta.Name)}
		case stream.KindDocument:
			if err := c.add(ctx, rec.Doc); err != nil {
				return err
			}
		case stream.KindIndex:
			var ix stream.Index
			if err := bson.Unmarshal(rec.Doc, &ix); err != nil {
				return fmt.Errorf("read dump: %w", err)
			}
			c.index(ix.Spec)
		case stream.KindCollectionEnd:
			if err := c.finish(ctx, rep); err != nil {
				return err
			}
			c = nil
		case stream.KindView:
			var v stream.View
			if err := bson.Unmarshal(rec.Doc, &v); err != nil {
				return fmt.Errorf("read dump: %w", err)
			}
			if err := createNamespace(ctx, db, v.Name, v.Options, ro.drop); err != nil {
				return err
			}
			rep.Log(spec.LevelInfo, fmt.Sprintf("view %q", v.Name))
		}
	}
}

// createNamespace creates a collection or view with the options it was
// dumped with, dropping the one of that name first when drop is set.
func createNamespace(ctx context.Context, db *mongo.Database, name string, opts bson.Raw, drop bool) error {
	if drop {
		if err := db.Collection(name).Drop(ctx); err != nil {
			return classify(ctx, fmt.Sprintf("drop %q", name), err)
		}
	}
	cmd := bson.D{{Key: "create", Value: name}}
	elems, err := opts.Elements()
	if err != nil {
		return fmt.Errorf("options of %q: %w", name, err)
	}
	for _, e := range elems {
		cmd = append(cmd, bson.E{Key: e.Key(), Value: e.Value()})
	}
	if err := db.RunCommand(ctx, cmd).Err(); err != nil {
		var se mongo.ServerError
		if errors.As(err, &se) && se.HasErrorCode(codeNamespaceExists) {
			return fmt.Errorf("create %q: it exists in %q: %w", name, db.Name(), spec.ErrAlreadyExists)
		}
		return classify(ctx, fmt.Sprintf("create %q with options %s", name, opts), err)
	}
	return nil
}

// collectionRestore fills one collection: batched ordered inserts, then its
// indexes in one createIndexes.
type collectionRestore struct {
	coll      *mongo.Collection
	batch     []any
	bytes     int
	documents int64
	indexes   []bson.Raw
}

func (c *collectionRestore) add(ctx context.Context, doc bson.Raw) error {
	c.batch = append(c.batch, doc)
	c.bytes += len(doc)
	if len(c.batch) >= batchDocuments || c.bytes >= batchBytes {
		return c.flush(ctx)
	}
	return nil
}

func (c *collectionRestore) flush(ctx context.Context) error {
	if len(c.batch) == 0 {
		return nil
	}
	// Documents are restored as they were dumped, even if a validator that
	// came with the collection would refuse some of them today.
	_, err := c.coll.InsertMany(ctx, c.batch, options.InsertMany().SetOrdered(true).SetBypassDocumentValidation(true))
	if err != nil {
		return classify(ctx, fmt.Sprintf("insert into %q", c.coll.Name()), err)
	}
	c.documents += int64(len(c.batch))
	clear(c.batch)
	c.batch, c.bytes = c.batch[:0], 0
	return nil
}

// index keeps a specification for finish; the _id index comes with the
// collection.
func (c *collectionRestore) index(spec bson.Raw) {
	if name, _ := spec.Lookup("name").StringValueOK(); name == "_id_" {
		return
	}
	c.indexes = append(c.indexes, spec)
}

func (c *collectionRestore) finish(ctx context.Context, rep spec.Reporter) error {
	if err := c.flush(ctx); err != nil {
		return err
	}
	if len(c.indexes) > 0 {
		specs := make(bson.A, len(c.indexes))
		for i, s := range c.indexes {
			specs[i] = indexForCreate(s)
		}
		cmd := bson.D{{Key: "createIndexes", Value: c.coll.Name()}, {Key: "indexes", Value: specs}}
		if err := c.coll.Database().RunCommand(ctx, cmd).Err(); err != nil {
			return classify(ctx, fmt.Sprintf("create the indexes of %q", c.coll.Name()), err)
		}
	}
	rep.Log(spec.LevelInfo, fmt.Sprintf("collection %q: %d documents, %d indexes", c.coll.Name(), c.documents, len(c.indexes)))
	return nil
}

// indexForCreate drops from a listIndexes specification what createIndexes
// must not be told: the namespace (servers before 4.4) and the index format
// version, which the target server chooses.
func indexForCreate(s bson.Raw) bson.D {
	var out bson.D
	elems, _ := s.Elements()
	for _, e := range elems {
		switch e.Key() {
		case "ns", "v":
			continue
		}
		out = append(out, bson.E{Key: e.Key(), Value: e.Value()})
	}
	return out
}

// countingReader counts what it reads and reports progress.
type countingReader struct {
	r    io.Reader
	rep  spec.Reporter
	n    int64
	next int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.next {
		c.rep.Progress(spec.Progress{DoneBytes: c.n, Stage: "restore"})
		c.next = c.n + 8*spec.ChunkSize
	}
	return n, err
}
