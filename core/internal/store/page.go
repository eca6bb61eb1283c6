package store

// Page selects a slice of a list. The zero Page is the first DefaultPageSize
// items.
type Page struct {
	Limit  int
	Offset int
}

// Page sizes: every list is paginated (DESIGN §6), and no request can ask
// for an unbounded one.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

func (p Page) normalized() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageSize
	}
	if p.Limit > MaxPageSize {
		p.Limit = MaxPageSize
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}
