package compress_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// sqlDump returns about n bytes of text shaped like a SQL dump: repetitive
// statements with varying values, compressible the way real dumps are.
func sqlDump(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT, balance REAL);\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "INSERT INTO customers VALUES (%d, 'customer %x', 'c%d@example.org', %d.%02d);\n",
			i, rng.Uint32(), rng.IntN(100000), rng.IntN(1e6), rng.IntN(100))
	}
	return []byte(b.String()[:n])
}

// randomBytes returns n incompressible bytes.
func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed)}).Read(b)
	return b
}
