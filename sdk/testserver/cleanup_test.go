package testserver

import (
	"errors"
	"testing"
)

func TestRemoveTriesAgain(t *testing.T) {
	calls := 0
	t.Run("busy twice", func(t *testing.T) {
		Remove(t, "folder", func() error {
			calls++
			if calls < 3 {
				return errors.New("405 Method Not Allowed")
			}
			return nil
		})
	})
	if calls != 3 {
		t.Errorf("remove was called %d times, want 3", calls)
	}
}
