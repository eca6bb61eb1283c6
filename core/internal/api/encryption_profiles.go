package api

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
	"github.com/dbkeep/dbkeep/core/internal/recoverykit"
)

// encryptionProfileRoutes: the named keys backups are encrypted under. No
// route returns a key.
func (a *API) encryptionProfileRoutes() []route {
	return []route{
		get("/encryption-profiles", Requires(auth.VaultRead), a.listProfiles).describe("List encryption profiles (never their keys)", nil, Paged[configuration.Profile]{}),
		get("/encryption-profiles/:id", Requires(auth.VaultRead), a.getProfile).describe("Get an encryption profile", nil, configuration.Profile{}),
		post("/encryption-profiles", Requires(auth.VaultWrite), a.createProfile).describe("Create an encryption profile with a new random key", configuration.ProfileInput{}, configuration.Profile{}).creates(),
		put("/encryption-profiles/:id", Requires(auth.VaultWrite), a.updateProfile).describe("Rename or describe an encryption profile", configuration.ProfileInput{}, configuration.Profile{}),
		del("/encryption-profiles/:id", Requires(auth.VaultWrite), a.deleteProfile).describe("Delete an encryption profile no job or backup uses", nil, nil),
		get("/encryption-profiles/:id/recovery-kit", Requires(auth.VaultWrite), a.profileRecoveryKit).describe("Download the recovery kit of an encryption profile: a zip holding its key file, the format specification and instructions", nil, nil).binary("application/zip"),
	}
}

func (a *API) profiles() (*configuration.Profiles, error) {
	svc, err := a.configuration()
	if err != nil {
		return nil, err
	}
	return svc.EncryptionProfiles(), nil
}

func (a *API) listProfiles(c fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.profiles()
	if err != nil {
		return fail(c, err)
	}
	items, total, err := svc.List(c.Context(), p)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, paged(items, total, p))
}

func (a *API) getProfile(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.profiles()
	if err != nil {
		return fail(c, err)
	}
	ep, err := svc.Get(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, ep)
}

func (a *API) createProfile(c fiber.Ctx) error {
	var in configuration.ProfileInput
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	svc, err := a.profiles()
	if err != nil {
		return fail(c, err)
	}
	ep, err := svc.Create(c.Context(), in)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "encryption-profiles.create", "encryption-profile", ep.ID, map[string]any{"name": ep.Name, "keyId": ep.KeyID})
	return created(c, ep)
}

func (a *API) updateProfile(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	var in configuration.ProfileInput
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	svc, err := a.profiles()
	if err != nil {
		return fail(c, err)
	}
	ep, err := svc.Update(c.Context(), id, in)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "encryption-profiles.update", "encryption-profile", ep.ID, map[string]any{"name": ep.Name})
	return ok(c, ep)
}

func (a *API) deleteProfile(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.profiles()
	if err != nil {
		return fail(c, err)
	}
	ep, err := svc.Delete(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "encryption-profiles.delete", "encryption-profile", ep.ID, map[string]any{"name": ep.Name, "keyId": ep.KeyID})
	return done(c, "deleted")
}

// profileRecoveryKit answers the profile's recovery kit as a download. It
// hands out the key itself, so every download is audited (the key never is).
func (a *API) profileRecoveryKit(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.profiles()
	if err != nil {
		return fail(c, err)
	}
	kit, ep, err := svc.RecoveryKit(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "encryption-profiles.recovery-kit", "encryption-profile", ep.ID, map[string]any{"name": ep.Name, "keyId": ep.KeyID})
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+recoverykit.KitFileName(ep.Name)+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(kit)
}
