package main

import (
	"strings"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

func TestConfigURIWithSeparatePassword(t *testing.T) {
	s, err := parseConfig(spec.Config{fieldURI: "mongodb://backup@db1:27017,db2:27018/?replicaSet=rs0&authSource=admin", fieldPassword: "s3cr3t"})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := s.clientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Auth == nil || opts.Auth.Username != "backup" || opts.Auth.Password != "s3cr3t" || opts.Auth.AuthSource != "admin" {
		t.Errorf("credential %+v", opts.Auth)
	}
	if len(opts.Hosts) != 2 || opts.ReplicaSet == nil || *opts.ReplicaSet != "rs0" {
		t.Errorf("hosts %v, replica set %v", opts.Hosts, opts.ReplicaSet)
	}
}

func TestConfigHostList(t *testing.T) {
	s, err := parseConfig(spec.Config{fieldHost: "db1, db2:27018,[::1]:27019", fieldPort: "27017", fieldUser: "u", fieldPassword: "p", fieldReplicaSet: "rs0", fieldTLS: "true", fieldTLSInsecure: "true"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"db1:27017", "db2:27018", "[::1]:27019"}
	if strings.Join(s.hosts, " ") != strings.Join(want, " ") {
		t.Errorf("hosts %v, want %v", s.hosts, want)
	}
	opts, err := s.clientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.TLSConfig == nil || !opts.TLSConfig.InsecureSkipVerify {
		t.Errorf("TLS config %+v", opts.TLSConfig)
	}
}

// TestConfigErrorsNeverQuoteThePassword: a URI's password stays out of
// validation messages.
func TestConfigErrorsNeverQuoteThePassword(t *testing.T) {
	for _, uri := range []string{
		"mongodb://u:hunter2@host:99999/",
		"mongodb://u:hunter2@host/?replicaSet=",
		"mongodb://u:hunter2@host/?authMechanism=NOPE",
	} {
		_, err := parseConfig(spec.Config{fieldURI: uri, fieldPassword: "hunter3"})
		if err == nil {
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "hunter3") {
			t.Errorf("%s: message quotes the password: %v", uri, err)
		}
	}
}

func TestConfigConflicts(t *testing.T) {
	for _, tc := range []struct {
		cfg    spec.Config
		fields []string
	}{
		{spec.Config{fieldURI: "mongodb://u:p@h/", fieldPassword: "q"}, []string{fieldPassword}},
		{spec.Config{fieldURI: "mongodb://h/", fieldPassword: "q"}, []string{fieldPassword}},
		{spec.Config{fieldURI: "mongodb://h/", fieldUser: "u", fieldReplicaSet: "rs", fieldAuthSource: "admin"}, []string{fieldUser, fieldReplicaSet, fieldAuthSource}},
		{spec.Config{fieldHost: "h", fieldReplicaSet: "rs 0", fieldAuthSource: "a.b"}, []string{fieldReplicaSet, fieldAuthSource}},
		{spec.Config{fieldHost: "h:0"}, []string{fieldHost}},
		{spec.Config{fieldHost: "h", fieldTLSCA: "x"}, []string{fieldTLSCA}},
	} {
		_, err := parseConfig(tc.cfg)
		named := map[string]bool{}
		for _, f := range spec.FieldErrors(err) {
			named[f.Field] = true
		}
		for _, f := range tc.fields {
			if !named[f] {
				t.Errorf("%v: field %q not named in %v", tc.cfg.Redacted(plugin().Schema), f, err)
			}
		}
	}
}

func TestPrivilegedUserOverURI(t *testing.T) {
	cfg := spec.Config{fieldURI: "mongodb://backup:pw@db1/?replicaSet=rs0"}
	got := withPrivileged(cfg, spec.Config{fieldUser: "root", fieldPassword: "s3cr3t", fieldAuthSource: "admin"})
	s, err := parseConfig(got)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := s.clientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Auth == nil || opts.Auth.Username != "root" || opts.Auth.Password != "s3cr3t" || opts.Auth.AuthSource != "admin" {
		t.Errorf("privileged credential %+v", opts.Auth)
	}
	if opts.ReplicaSet == nil || *opts.ReplicaSet != "rs0" {
		t.Errorf("the URI's other options were lost: %v", opts.ReplicaSet)
	}
	if withPrivileged(cfg, nil)[fieldURI] != cfg[fieldURI] {
		t.Error("no privileged fields changed the configuration")
	}
}
