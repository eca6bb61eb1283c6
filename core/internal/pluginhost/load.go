package pluginhost

import "context"

// LoadReport is what loading every plugin at start gave.
type LoadReport struct {
	// Loaded plugins run and described themselves as their files say.
	Loaded []Entry
	// Refused plugins were not started: untrusted (never executed), missing,
	// describe failures, failed starts. Each Error says why. Disabled plugins
	// are in neither list.
	Refused []Entry
}

// LoadAll verifies the plugin directory and starts every trusted, enabled
// plugin, so that problems show at start rather than at the first backup.
// A refused plugin does not stop the others: one bad binary must not take
// every backup down with it. Refusals are logged with the reason, which for
// a checksum mismatch names the file and both sums.
func (h *Host) LoadAll(ctx context.Context) (LoadReport, error) {
	inv, err := h.Inventory(ctx)
	if err != nil {
		return LoadReport{}, err
	}
	var rep LoadReport
	for _, ig := range inv.Ignored {
		h.logger.Warn("ignoring file in the plugin directory", "path", ig.Path, "reason", ig.Reason)
	}
	for _, e := range inv.Plugins {
		switch e.State {
		case StateDisabled:
			h.logger.Info("plugin disabled in the plugins configuration", "plugin", BinaryPrefix+e.ID)
			continue
		case StateOK:
			if _, err := h.Start(ctx, e.ID); err != nil {
				e.State, e.Error = StateDescribeFailed, err.Error()
			}
		}
		if e.State == StateOK {
			rep.Loaded = append(rep.Loaded, e)
			continue
		}
		h.logger.Error("plugin refused", "plugin", BinaryPrefix+e.ID, "state", string(e.State), "error", e.Error)
		rep.Refused = append(rep.Refused, e)
	}
	return rep, nil
}
