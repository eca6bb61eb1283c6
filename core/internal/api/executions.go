package api

// SKELETON: the execution routes (POST /jobs/{id}/run, GET /executions,
// GET /executions/{id}, POST /executions/{id}/cancel, GET
// /executions/{id}/events) are being written here.

// ExecutionService runs and reports executions.
type ExecutionService interface{}

func (a *API) executionRoutes() []route { return nil }
