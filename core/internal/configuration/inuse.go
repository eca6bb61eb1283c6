package configuration

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// inUseNames is how many jobs an "in use" answer names; the count in the
// store's message says how many there are in all.
const inUseNames = 5

// inUse adds to a refused deletion the names of the jobs that use the row,
// so the person knows where to look. Other errors pass unchanged; the
// result still matches store.ErrInUse.
func (s *Service) inUse(ctx context.Context, err error, ref store.JobRef, id int64) error {
	if !errors.Is(err, store.ErrInUse) {
		return err
	}
	names, lookupErr := s.st.Jobs().NamesUsing(ctx, ref, id, inUseNames)
	if lookupErr != nil || len(names) == 0 {
		return err
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return fmt.Errorf("%w (jobs: %s)", err, strings.Join(quoted, ", "))
}
