package configuration

import (
	"bytes"
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dbkeep/dbkeep/core/internal/recoverykit"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Profiles is the encryption profiles service. A profile's key is made by
// the store (32 random bytes, sealed) and never leaves the core through
// this service.
type Profiles struct{ s *Service }

// Profile is an encryption profile as the API shows it: never the key, only
// its public fingerprint.
type Profile struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Algorithm   string    `json:"algorithm"`
	KeyID       string    `json:"keyId"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// ProfileInput is the body of a create or an update: a profile's key is
// generated, never given, and never changes.
type ProfileInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

const maxDescriptionLength = 1000

func profileView(p store.EncryptionProfile) Profile {
	return Profile{ID: p.ID, Name: p.Name, Description: p.Description, Algorithm: p.Algorithm, KeyID: p.KeyID,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (in ProfileInput) check() (name, description string, err error) {
	var errs spec.ValidationError
	name = checkName(&errs, "name", in.Name)
	description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(description) > maxDescriptionLength {
		errs.Add("description", "must be at most 1000 characters")
	}
	return name, description, errs.Err()
}

// List returns one page of profiles and the total.
func (p *Profiles) List(ctx context.Context, page store.Page) ([]Profile, int, error) {
	list, total, err := p.s.st.EncryptionProfiles().List(ctx, page)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Profile, len(list))
	for i, ep := range list {
		out[i] = profileView(ep)
	}
	return out, total, nil
}

// Get returns profile id.
func (p *Profiles) Get(ctx context.Context, id int64) (Profile, error) {
	ep, err := p.s.st.EncryptionProfiles().Get(ctx, id)
	return profileView(ep), err
}

// Create makes a profile with a new random key.
func (p *Profiles) Create(ctx context.Context, in ProfileInput) (Profile, error) {
	name, description, err := in.check()
	if err != nil {
		return Profile{}, err
	}
	ep, err := p.s.st.EncryptionProfiles().Create(ctx, name, description)
	if err != nil {
		return Profile{}, nameTaken(err, "encryption profile")
	}
	return profileView(ep), nil
}

// Update renames and redescribes profile id; its key stays.
func (p *Profiles) Update(ctx context.Context, id int64, in ProfileInput) (Profile, error) {
	name, description, err := in.check()
	if err != nil {
		return Profile{}, err
	}
	ep, err := p.s.st.EncryptionProfiles().Update(ctx, id, name, description)
	if err != nil {
		return Profile{}, nameTaken(err, "encryption profile")
	}
	return profileView(ep), nil
}

// Delete removes profile id and its key; one a job uses or that backup sets
// were encrypted under is refused (store.ErrInUse), since those sets would
// become unrecoverable.
func (p *Profiles) Delete(ctx context.Context, id int64) (Profile, error) {
	ep, err := p.s.st.EncryptionProfiles().Get(ctx, id)
	if err != nil {
		return Profile{}, err
	}
	if err := p.s.st.EncryptionProfiles().Delete(ctx, id); err != nil {
		return Profile{}, p.s.inUse(ctx, err, store.RefProfile, id)
	}
	return profileView(ep), nil
}

// RecoveryKit returns the recovery kit of profile id (a zip holding the
// profile's key, docs/format.md and instructions; recoverykit.WriteKit) and
// the profile. It is the one way a key leaves the core: the caller sends it
// to a principal allowed to write the vault and audits that, never logs it.
func (p *Profiles) RecoveryKit(ctx context.Context, id int64) ([]byte, Profile, error) {
	ep, err := p.s.st.EncryptionProfiles().Get(ctx, id)
	if err != nil {
		return nil, Profile{}, err
	}
	key, err := p.s.st.EncryptionProfiles().Key(ctx, id)
	if err != nil {
		return nil, Profile{}, err
	}
	defer clear(key)
	kf, err := recoverykit.NewKeyFile(ep.Name, ep.ID, key, ep.CreatedAt)
	if err != nil {
		return nil, Profile{}, err
	}
	defer clear(kf.Key)
	var kit bytes.Buffer
	if err := recoverykit.WriteKit(&kit, kf); err != nil {
		return nil, Profile{}, err
	}
	return kit.Bytes(), profileView(ep), nil
}
