package api

// SKELETON: the backup set routes (GET /backups, GET /backups/{id}) are
// being written here.

// BackupService lists backup sets.
type BackupService interface{}

func (a *API) backupRoutes() []route { return nil }
