package pluginhost

import "os"

// passedEnv is what a plugin inherits from the core's environment. Nothing
// else passes: the core's environment holds DBKEEP_ENCRYPTION_KEY and other
// secrets a plugin has no business reading; a plugin receives its
// configuration with each call instead.
var passedEnv = []string{
	"PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
}

// pluginEnv returns the environment of a plugin process: the passed variables
// of the core's environment, then extra.
func pluginEnv(extra []string) []string {
	var env []string
	for _, k := range passedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}
