// Command notaplugin is an executable that does not speak the plugin protocol:
// its `describe` fails, as a broken or foreign binary in the plugin directory
// would.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "notaplugin: I do not describe myself")
	os.Exit(3)
}
