package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// AdminGroupName is the name first-run setup gives the built-in group.
const AdminGroupName = "admin"

// touchInterval throttles writes of a session's last-seen time and an API
// key's last-used time: at most one per credential per interval, so reads
// through the API do not turn into a stream of writes.
const touchInterval = time.Minute

// Options are what New needs.
type Options struct {
	Store *store.Store
	// PasswordParams default to DefaultPasswordParams; tests lower them.
	PasswordParams *PasswordParams
	// Limits default to DefaultLimitParams.
	Limits *LimitParams
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger hclog.Logger
}

// Service is accounts and access: setup, sign-in, sessions, API keys, users
// and groups, and authenticating requests.
type Service struct {
	st      *store.Store
	hasher  *hasher
	limiter *limiter
	now     func() time.Time
	log     hclog.Logger
}

// New builds the service and brings the built-in admin group's stored
// permissions up to the catalogue (a new release may have added some).
func New(ctx context.Context, opts Options) (*Service, error) {
	if opts.Store == nil {
		return nil, errors.New("auth: a store is required")
	}
	params := DefaultPasswordParams
	if opts.PasswordParams != nil {
		params = *opts.PasswordParams
	}
	limits := DefaultLimitParams
	if opts.Limits != nil {
		limits = *opts.Limits
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	// Hashes run on at most half the cores at once: a burst of sign-ins
	// queues instead of taking every core and Memory KiB each.
	h, err := newHasher(params, max(1, runtime.GOMAXPROCS(0)/2))
	if err != nil {
		return nil, err
	}
	s := &Service{st: opts.Store, hasher: h, limiter: newLimiter(limits, opts.Now), now: opts.Now, log: opts.Logger}
	if err := s.st.Groups().SyncBuiltinPermissions(ctx, permStrings(All())); err != nil {
		return nil, err
	}
	return s, nil
}

// SetupNeeded reports whether no account exists yet.
func (s *Service) SetupNeeded(ctx context.Context) (bool, error) {
	n, err := s.st.Users().Count(ctx)
	return n == 0, err
}

// NewAccount is a user to create: by setup, by an admin, or by the CLI.
type NewAccount struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	DisplayName string `json:"displayName"`
	Email       string `json:"email"`
}

func (a NewAccount) validate() error {
	v := &spec.ValidationError{}
	checkUsername(v, "username", a.Username)
	checkPassword(v, "password", a.Password)
	checkText(v, "displayName", a.DisplayName, maxNameLen*2)
	checkEmail(v, "email", a.Email)
	return v.Err()
}

// Setup creates the first account and the built-in admin group holding
// every permission, with the account in it. Once any account exists it
// fails with ErrSetupDone, even when two setups race.
func (s *Service) Setup(ctx context.Context, a NewAccount) (store.User, error) {
	// Checked first (and again in the transaction): once done, setup
	// answers "done" whatever it is sent, and costs no hashing.
	if needed, err := s.SetupNeeded(ctx); err != nil {
		return store.User{}, err
	} else if !needed {
		return store.User{}, ErrSetupDone
	}
	if err := a.validate(); err != nil {
		return store.User{}, err
	}
	hash, err := s.hasher.hash(ctx, a.Password)
	if err != nil {
		return store.User{}, err
	}
	u, err := s.st.Users().CreateFirstAdmin(ctx,
		store.NewUser{Username: a.Username, DisplayName: a.DisplayName, Email: a.Email, PasswordHash: hash},
		store.NewGroup{Name: AdminGroupName, Description: "Built in: holds every permission", Permissions: permStrings(All())})
	if errors.Is(err, store.ErrAccountsExist) {
		return store.User{}, ErrSetupDone
	}
	return u, err
}

// Authenticate finds who the request acts as (api.Authenticator): an
// "Authorization: Bearer dbk_..." API key first, else the session cookie.
// No credentials is (nil, nil). Credentials present but unknown, expired,
// revoked or of a disabled account wrap ErrUnauthenticated; a cookie
// request that changes state without the session's CSRF token is ErrCSRF.
func (s *Service) Authenticate(c fiber.Ctx) (*Principal, error) {
	ctx := c.Context()
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, token, found := strings.Cut(h, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") {
			return nil, fmt.Errorf("%w: the Authorization header must be \"Bearer <API key>\"", ErrUnauthenticated)
		}
		return s.authenticateKey(ctx, strings.TrimSpace(token))
	}
	if token := c.Cookies(SessionCookie); token != "" {
		return s.authenticateSession(c, token)
	}
	return nil, nil
}

// userAccess returns the effective permissions of an enabled user: the
// union of their groups', every permission for members of the built-in
// group. A disabled or missing user is ErrUnauthenticated.
func (s *Service) userAccess(ctx context.Context, userID int64) (store.User, []Permission, error) {
	u, err := s.st.Users().Get(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, nil, ErrUnauthenticated
	}
	if err != nil {
		return store.User{}, nil, err
	}
	if u.Disabled {
		return store.User{}, nil, fmt.Errorf("%w: the account is disabled", ErrUnauthenticated)
	}
	names, builtin, err := s.st.Groups().Access(ctx, userID)
	if err != nil {
		return store.User{}, nil, err
	}
	if builtin {
		all := All()
		slices.Sort(all) // Principal.Has searches a sorted set
		return u, all, nil
	}
	perms := make([]Permission, 0, len(names))
	for _, n := range names {
		// A permission a newer release removed grants nothing.
		if p := Permission(n); p.Valid() {
			perms = append(perms, p)
		}
	}
	return u, perms, nil
}

func permStrings(perms []Permission) []string {
	out := make([]string, len(perms))
	for i, p := range perms {
		out[i] = string(p)
	}
	return out
}

// missing returns the permissions of want that have does not hold.
func missing(want, have []Permission) []Permission {
	var out []Permission
	for _, p := range want {
		if !slices.Contains(have, p) {
			out = append(out, p)
		}
	}
	return out
}

// intersect returns the permissions in both a and b, sorted.
func intersect(a, b []Permission) []Permission {
	out := []Permission{}
	for _, p := range a {
		if slices.Contains(b, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func quoteAll(perms []Permission) string {
	q := make([]string, len(perms))
	for i, p := range perms {
		q[i] = fmt.Sprintf("%q", p)
	}
	return strings.Join(q, ", ")
}
