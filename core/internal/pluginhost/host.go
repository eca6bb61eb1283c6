package pluginhost

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Options configure a Host.
type Options struct {
	// Config is the parsed plugins.hcl.
	Config *pluginconf.Config
	// Lock holds the pins; nil reads Config.LockFile. The Host keeps this
	// snapshot: a running core trusts what was pinned when it started, plus
	// what it pins itself through Install and LockAll.
	Lock *pluginconf.Lock
	// Logger receives the host's own lines and every plugin's log output.
	// Nil discards them.
	Logger hclog.Logger
	// Env is added to each plugin's environment (KEY=VALUE), after the few
	// variables passed from the core's own (see passedEnv).
	Env []string
	// DescribeTimeout bounds a `describe` run and the Describe call after a
	// start. Zero means 10 seconds.
	DescribeTimeout time.Duration
	// StartTimeout bounds a plugin's start up to the handshake. Zero means 30
	// seconds.
	StartTimeout time.Duration
}

// Host finds, verifies, starts and supervises the core's plugins. Its methods
// are safe for concurrent use.
type Host struct {
	cfg             *pluginconf.Config
	logger          hclog.Logger
	env             []string
	describeTimeout time.Duration
	startTimeout    time.Duration

	mu     sync.Mutex
	lock   *pluginconf.Lock
	slots  map[string]*slot
	closed bool
}

// New returns a Host; no plugin starts until it is used.
func New(opts Options) (*Host, error) {
	if opts.Config == nil {
		return nil, fmt.Errorf("plugin host: no plugins configuration")
	}
	lock := opts.Lock
	if lock == nil {
		var err error
		if lock, err = pluginconf.ReadLock(opts.Config.LockFile); err != nil {
			return nil, err
		}
	}
	h := &Host{
		cfg:             opts.Config,
		logger:          opts.Logger,
		env:             pluginEnv(opts.Env),
		describeTimeout: opts.DescribeTimeout,
		startTimeout:    opts.StartTimeout,
		lock:            lock,
		slots:           map[string]*slot{},
	}
	if h.logger == nil {
		h.logger = hclog.NewNullLogger()
	}
	if h.describeTimeout == 0 {
		h.describeTimeout = 10 * time.Second
	}
	if h.startTimeout == 0 {
		h.startTimeout = 30 * time.Second
	}
	return h, nil
}

// Config returns the plugins configuration the host was built with.
func (h *Host) Config() *pluginconf.Config { return h.cfg }

// Start starts plugin id unless it runs already, and returns its description
// as the live process gave it. Use it to load plugins eagerly; every other
// call starts its plugin on demand anyway.
func (h *Host) Start(ctx context.Context, id string) (spec.Description, error) {
	inst, err := h.acquire(ctx, id)
	if err != nil {
		return spec.Description{}, err
	}
	return inst.desc, nil
}

// ValidateConfig asks plugin id to check cfg: nil, a *spec.ValidationError
// naming every bad field, or the error of the call.
func (h *Host) ValidateConfig(ctx context.Context, id string, cfg spec.Config) error {
	return h.do(ctx, id, func(ctx context.Context, inst *instance) error {
		return inst.conn.ValidateConfig(ctx, cfg)
	})
}

// Status is the supervision state of one plugin, for health views.
type Status struct {
	ID      string `json:"id"`
	Running bool   `json:"running"`
	PID     int    `json:"pid,omitempty"`
	// Crashes counts unexpected exits since the host started.
	Crashes int `json:"crashes"`
	// Restarts counts the processes started after the first one: after a
	// crash, on the next use.
	Restarts  int        `json:"restarts"`
	LastCrash *time.Time `json:"lastCrash,omitempty"`
	// LastError is why the last start failed, if it did.
	LastError string `json:"lastError,omitempty"`
}

// Status reports every plugin the host has tried to start, sorted by id.
func (h *Host) Status() []Status {
	h.mu.Lock()
	slots := make([]*slot, 0, len(h.slots))
	for _, s := range h.slots {
		slots = append(slots, s)
	}
	h.mu.Unlock()
	out := make([]Status, 0, len(slots))
	for _, s := range slots {
		out = append(out, s.status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Close stops every plugin process and refuses further starts.
func (h *Host) Close() error {
	h.mu.Lock()
	h.closed = true
	slots := make([]*slot, 0, len(h.slots))
	for _, s := range h.slots {
		slots = append(slots, s)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.stop()
		}()
	}
	wg.Wait()
	return nil
}

func (h *Host) pins() *pluginconf.Lock {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lock
}
