package recoverykit

import "fmt"

// readme is README.txt of the kit of k.
func readme(k KeyFile) string {
	return fmt.Sprintf(`dbkeep recovery kit
===================

Encryption profile: %s (id %d)
Key id:             %s
Created:            %s

This kit opens every backup encrypted under this profile, without the
dbkeep server, its state database or its plugins. Keep it offline and
private: %s holds the key itself. Anyone with this file can read those
backups; without it, nobody can (dbkeep included, if its state is lost).

Files
-----
%s   the profile key (JSON; "key" is the 32-byte key in base64)
%s        this file
%s         the byte-level format of backup sets, manifests and
                  DBK1 encrypted objects

Recover with dbkeep
-------------------
The dbkeep binary recovers offline. A whole backup set (a directory holding
manifest.json and the objects, copied from any destination):

    dbkeep recover --kit %s --out restored/ path/to/set/

One object (its manifest is used when it lies beside it):

    dbkeep recover --key %s --out shop.sql path/to/set/shop.sql.zst.dbk

dbkeep checks every object's size and SHA-256 against the manifest, that the
key id matches, and every encrypted chunk, before it names an output file;
a failed recovery leaves no output behind. --out - writes one object to
standard output as it is authenticated: if dbkeep then exits with an error,
discard what it wrote. --json prints a summary; --force overwrites.

Recover without dbkeep
----------------------
%s specifies the DBK1 format byte by byte (section "DBK1 encrypted
objects"): a 96-byte header, a per-object key derived with HKDF-SHA256 from
the profile key, then AES-256-GCM chunks. With the key from the key file,
any language's standard cryptography library decrypts an object; the data
is whole only once its final chunk has authenticated. Then
decompress according to the name's suffix (.zst: zstd -d, .gz: gunzip,
.br: brotli -d) and restore the dump with the database's own tools.
`, k.Profile, k.ProfileID, k.KeyID, k.Created.Format("2006-01-02T15:04:05Z"),
		KeyFileName(k.Profile), KeyFileName(k.Profile), KitReadme, KitFormatDoc,
		KitFileName(k.Profile), KeyFileName(k.Profile), KitFormatDoc)
}
