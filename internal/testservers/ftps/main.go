// Command ftps is a test server speaking FTP over explicit TLS (AUTH TLS,
// RFC 4217), with TLS on data connections too: goftp.io/server, the FTP
// server rclone embeds, serving a directory. It exists because rclone serve
// ftp offers only implicit TLS, and only on the control connection (its data
// connections stay plain and it refuses PROT P), so the FTP plugin's FTPS
// could not be tested against it. scripts/test-services builds it into
// .tools/ and starts it on 127.0.0.1; nothing else uses it.
//
// It is its own Go module so that the server's dependencies never reach the
// dbkeep core, the plugins or their go.mod. The password comes from the
// environment (FTPS_PASSWORD), never the command line.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"

	"goftp.io/server/v2"
	"goftp.io/server/v2/driver/file"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:12990", "TCP address to listen on (keep it on loopback)")
	root := flag.String("root", "", "directory to serve (required)")
	cert := flag.String("cert", "", "PEM certificate file (required)")
	key := flag.String("key", "", "PEM private key file (required)")
	user := flag.String("user", "dbkeep", "the one user")
	passive := flag.String("passive-ports", "31000-31499", "ports for passive data connections")
	flag.Parse()
	if err := run(*listen, *root, *cert, *key, *user, *passive); err != nil {
		fmt.Fprintln(os.Stderr, "ftps:", err)
		os.Exit(1)
	}
}

func run(listen, root, cert, key, user, passive string) error {
	if root == "" || cert == "" || key == "" {
		return fmt.Errorf("-root, -cert and -key are required")
	}
	password := os.Getenv("FTPS_PASSWORD")
	if password == "" {
		return fmt.Errorf("FTPS_PASSWORD is not set")
	}
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return err
	}
	driver, err := file.NewDriver(root)
	if err != nil {
		return err
	}
	srv, err := server.NewServer(&server.Options{
		Name:         "dbkeep test FTPS server",
		Driver:       driver,
		Auth:         &server.SimpleAuth{Name: user, Password: password},
		Perm:         server.NewSimplePerm("dbkeep", "dbkeep"),
		Hostname:     host,
		Port:         port,
		PublicIP:     host,
		PassivePorts: passive,
		TLS:          true,
		ExplicitFTPS: true,
		ForceTLS:     true, // a client that forgets AUTH TLS is refused, not served in the clear
		CertFile:     cert,
		KeyFile:      key,
	})
	if err != nil {
		return err
	}
	return srv.ListenAndServe()
}
