package main

import (
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dbkeep/dbkeep/sdk/database"
)

// bigRows is the size of the large table: the issue asks for a million.
const bigRows = 1_000_000

// seededRows are the tables seedAwkward creates with their row counts
// (materialized views are not tables and are not counted).
var seededRows = []database.TableRows{
	{Schema: "public", Table: "people", Rows: 6},
	{Schema: "public", Table: "no_key", Rows: 4},
	{Schema: "public", Table: "files", Rows: 3},
	{Schema: "sales", Table: "invoices", Rows: 3},
	{Schema: "sales", Table: "audit", Rows: 3},
	{Schema: "Ünïcødé 🐘", Table: "tâble 😀", Rows: 3},
}

// seedAwkward fills the database conn is connected to with what breaks naive
// dumps: several schemas, unicode (emoji included) in identifiers and data,
// NULLs, bytea, large objects, sequences with advanced values, an enum, a
// view and a materialized view, a function, a procedure, a trigger that has
// fired, generated columns, comments, grants, and with large a table of a
// million rows generated on the server.
func seedAwkward(t testing.TB, conn *pgx.Conn, large bool) {
	t.Helper()
	for _, q := range []string{
		`CREATE SCHEMA sales`,
		`CREATE SCHEMA "Ünïcødé 🐘"`,
		`CREATE TYPE public.mood AS ENUM ('sad', 'ok', '😀')`,
		`CREATE TABLE public.people (
			id bigserial PRIMARY KEY,
			name text NOT NULL,
			note text,
			score double precision,
			avatar bytea,
			born date,
			tags text[],
			doc jsonb,
			feeling public.mood,
			label text GENERATED ALWAYS AS (upper(name) || ' / ' || coalesce(note, '∅')) STORED
		)`,
		`CREATE INDEX people_lower_name ON public.people (lower(name))`,
		`COMMENT ON TABLE public.people IS 'des gens ✓ — 人々'`,
		`INSERT INTO public.people (name, note, score, avatar, born, tags, doc, feeling) VALUES
			('Zoë Ångström', 'naïve café', 3.5, '\x0001ff'::bytea, '1970-01-01', '{a,"b c",NULL}', '{"k": [1, null, "✓"]}', 'ok'),
			('日本語のなまえ', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
			('emoji 🎉👩‍👩‍👧 family', '🦀', 'Infinity', ''::bytea, 'infinity', '{}', 'null', '😀'),
			('', '', 'NaN', '\x00'::bytea, '0001-01-01 BC', '{""}', '{}', 'sad'),
			(E'quote '' double " back \\ tab\t', E'line\nbreak\r\n', -0.000001, decode(repeat('ff00', 5000), 'hex'), '2038-01-19', NULL, '[]', NULL),
			('right-to-left שלום', 'مرحبا', 1.7976931348623157e308, 'blob'::bytea, '2000-02-29', '{x}', '"s"', 'ok')`,
		`CREATE SEQUENCE sales.invoice_no START 1000 INCREMENT 7`,
		`CREATE TABLE sales.invoices (
			no integer PRIMARY KEY DEFAULT nextval('sales.invoice_no'),
			person bigint REFERENCES public.people (id),
			amount numeric(12, 2) NOT NULL,
			net numeric(12, 2) GENERATED ALWAYS AS (round(amount / 1.2, 2)) STORED,
			created timestamptz NOT NULL DEFAULT '2024-03-31 02:30:00+02'
		)`,
		`CREATE TABLE sales.audit (id serial PRIMARY KEY, what text NOT NULL)`,
		`CREATE FUNCTION sales.audit_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				INSERT INTO sales.audit (what) VALUES (TG_OP || ' invoice ' || NEW.no || ' 💶');
				RETURN NEW;
			END $$`,
		`CREATE TRIGGER invoices_audit AFTER INSERT ON sales.invoices FOR EACH ROW EXECUTE FUNCTION sales.audit_invoice()`,
		`CREATE FUNCTION sales.total(p bigint) RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(amount), 0) FROM sales.invoices WHERE person = p $$`,
		`CREATE PROCEDURE sales.add_invoice(p bigint, a numeric) LANGUAGE plpgsql AS $$
			BEGIN INSERT INTO sales.invoices (person, amount) VALUES (p, a); END $$`,
		`CALL sales.add_invoice(1, 12.50)`,
		`CALL sales.add_invoice(3, 99999.99)`,
		`CALL sales.add_invoice(NULL, -0.01)`,
		`SELECT nextval('sales.invoice_no')`, // a gap: the sequence is ahead of the table
		`CREATE VIEW sales."big spenders 💰" AS SELECT p.name, sales.total(p.id) AS total FROM public.people p WHERE sales.total(p.id) > 50`,
		`CREATE MATERIALIZED VIEW sales.per_person AS SELECT person, count(*) AS n, sum(amount) AS total FROM sales.invoices GROUP BY person`,
		`GRANT USAGE ON SCHEMA sales TO PUBLIC`,
		`GRANT SELECT ON sales.invoices TO PUBLIC`,
		`CREATE TABLE "Ünïcødé 🐘"."tâble 😀" ("çolumn ✓" text, "Nùll" int, PRIMARY KEY ("çolumn ✓"))`,
		`INSERT INTO "Ünïcødé 🐘"."tâble 😀" VALUES ('α', 1), ('β', NULL), ('🐘', -2147483648)`,
		`CREATE TABLE public.no_key (v text, n int)`, // duplicate rows and no primary key
		`INSERT INTO public.no_key VALUES ('same', 1), ('same', 1), (NULL, NULL), (NULL, NULL)`,
		// Large objects, one of a megabyte, referenced from a table by OID.
		`CREATE TABLE public.files (name text PRIMARY KEY, content oid)`,
		`INSERT INTO public.files VALUES
			('empty', lo_from_bytea(0, ''::bytea)),
			('small ✓', lo_from_bytea(0, '\x00ff00ff'::bytea)),
			('mebibyte', lo_from_bytea(0, (SELECT decode(string_agg(md5(i::text), ''), 'hex') FROM generate_series(1, 65536) i)))`,
	} {
		mustExec(t, conn, q)
	}
	// COMMENT ON LARGE OBJECT takes a literal OID.
	var emptyLO uint32
	if err := conn.QueryRow(t.Context(), `SELECT content FROM public.files WHERE name = 'empty'`).Scan(&emptyLO); err != nil {
		t.Fatal(err)
	}
	mustExec(t, conn, "COMMENT ON LARGE OBJECT "+strconv.FormatUint(uint64(emptyLO), 10)+" IS 'nothing to see 👀'")
	if !large {
		return
	}
	mustExec(t, conn, `CREATE SCHEMA big`)
	mustExec(t, conn, `CREATE TABLE big.events (id bigint PRIMARY KEY, at timestamptz NOT NULL, payload text, amount numeric)`)
	mustExec(t, conn, `INSERT INTO big.events
		SELECT i, timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second',
		       CASE WHEN i % 10 = 0 THEN NULL ELSE md5(i::text) END, i / 7.0
		FROM generate_series(1, $1::int) i`, bigRows)
	mustExec(t, conn, `ANALYZE big.events`)
}
