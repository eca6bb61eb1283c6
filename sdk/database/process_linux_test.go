package database

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary act as a plugin that starts a tool and
// waits forever, to be killed.
const childEnv = "DBKEEP_SDK_TEST_TOOL_PARENT"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		cmd := exec.CommandContext(context.Background(), "sleep", "300")
		KillGroupOnCancel(cmd)
		if err := cmd.Start(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(cmd.Process.Pid)
		select {}
	}
	os.Exit(m.Run())
}

// A tool started with KillGroupOnCancel dies when its plugin is SIGKILLed.
func TestToolDiesWithPlugin(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parent := exec.Command(self, "-test.run", "^$")
	parent.Env = append(os.Environ(), childEnv+"=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		parent.Process.Kill()
		t.Fatalf("the plugin stand-in said nothing: %v", err)
	}
	tool, err := strconv.Atoi(line[:len(line)-1])
	if err != nil {
		parent.Process.Kill()
		t.Fatalf("the plugin stand-in said %q", line)
	}
	t.Cleanup(func() { syscall.Kill(tool, syscall.SIGKILL) })
	if err := syscall.Kill(tool, 0); err != nil {
		t.Fatalf("the tool %d is not running: %v", tool, err)
	}
	parent.Process.Signal(syscall.SIGKILL)
	parent.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// A dead child of a dead parent is reaped by init; until then it is a
		// zombie, which counts as gone.
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", tool))
		if err != nil || isZombie(stat) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tool %d still runs 10 s after its plugin was killed", tool)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// isZombie reads the state field of /proc/<pid>/stat ("pid (comm) S ...").
func isZombie(stat []byte) bool {
	for i := len(stat) - 1; i > 0; i-- {
		if stat[i] == ')' {
			return i+2 < len(stat) && stat[i+2] == 'Z'
		}
	}
	return false
}
