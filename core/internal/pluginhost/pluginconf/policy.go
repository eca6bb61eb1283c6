package pluginconf

import "fmt"

// Policy decides which plugin binaries the core may execute.
type Policy string

// PolicyPinned runs a binary only when its SHA-256 equals the sum pinned in
// plugins.lock.hcl. It is the only policy on purpose: a looser one ("run
// anything in the directory", "trust on first use") would turn the lock file
// into a suggestion one typo away from being ignored, and the workflows it
// would serve — first-party builds, development — are one `dbkeep plugins
// lock` away under this policy.
const PolicyPinned Policy = "pinned"

// ParsePolicy returns the policy named s.
func ParsePolicy(s string) (Policy, error) {
	if Policy(s) == PolicyPinned {
		return PolicyPinned, nil
	}
	return "", fmt.Errorf("trust policy %q is not supported; the only policy is %q (run a binary only when its sha256 is pinned in %s)", s, PolicyPinned, LockFileName)
}
