package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestPresets: each provider fills the endpoint and region its users would
// otherwise have to look up, and an explicit endpoint wins.
func TestPresets(t *testing.T) {
	type where struct {
		Endpoint, Region string
		Secure           bool
	}
	for _, c := range []struct {
		cfg  spec.Config
		want where
	}{
		{spec.Config{"provider": "aws"}, where{"s3.us-east-1.amazonaws.com", "us-east-1", true}},
		{spec.Config{"provider": "aws", "region": "eu-central-1"}, where{"s3.eu-central-1.amazonaws.com", "eu-central-1", true}},
		{spec.Config{"provider": "r2", "account-id": "abc123"}, where{"abc123.r2.cloudflarestorage.com", "auto", true}},
		{spec.Config{"provider": "r2", "account-id": "abc123", "jurisdiction": "eu"}, where{"abc123.eu.r2.cloudflarestorage.com", "auto", true}},
		{spec.Config{"provider": "b2", "region": "us-west-004"}, where{"s3.us-west-004.backblazeb2.com", "us-west-004", true}},
		{spec.Config{"provider": "hetzner"}, where{"fsn1.your-objectstorage.com", "fsn1", true}},
		{spec.Config{"provider": "hetzner", "region": "hel1"}, where{"hel1.your-objectstorage.com", "hel1", true}},
		{spec.Config{"provider": "wasabi", "region": "eu-central-2"}, where{"s3.eu-central-2.wasabisys.com", "eu-central-2", true}},
		{spec.Config{"provider": "other", "endpoint": "http://minio.lan:9000"}, where{"minio.lan:9000", "us-east-1", false}},
		{spec.Config{"provider": "other", "endpoint": "minio.lan"}, where{"minio.lan", "us-east-1", true}},
		{spec.Config{"provider": "aws", "endpoint": "https://vpce-1.s3.us-east-1.vpce.amazonaws.com/"}, where{"vpce-1.s3.us-east-1.vpce.amazonaws.com", "us-east-1", true}},
	} {
		c.cfg["bucket"], c.cfg["access-key"], c.cfg["secret-key"] = "b", "k", "s"
		s, err := parse(plugin().Schema.WithDefaults(c.cfg))
		if err != nil {
			t.Errorf("%v: %v", c.cfg.Redacted(plugin().Schema), err)
			continue
		}
		if diff := cmp.Diff(c.want, where{s.endpoint, s.region, s.secure}); diff != "" {
			t.Errorf("%v (-want +got):\n%s", c.cfg.Redacted(plugin().Schema), diff)
		}
	}
}

// TestPartSizes: the part schedule fits 5 TiB in S3's 10,000 parts from the
// smallest first part, never asks for a part S3 refuses, and keeps everyday
// objects at the first size, which is what bounds memory.
func TestPartSizes(t *testing.T) {
	for _, firstMiB := range []int64{minPartMiB, defaultPartMiB, 100, maxPartMiB} {
		first := firstMiB << 20
		var total int64
		prev := int64(0)
		for i := range maxParts {
			size := partSize(first, i)
			if size < minPartMiB<<20 || size > maxPartMiB<<20 {
				t.Fatalf("first %d MiB: part %d is %d bytes, outside S3's limits", firstMiB, i, size)
			}
			if size < prev {
				t.Fatalf("first %d MiB: part %d shrinks to %d bytes", firstMiB, i, size)
			}
			prev = size
			total += size
		}
		if total < maxObjectSize {
			t.Errorf("first %d MiB: 10,000 parts hold %d bytes, less than 5 TiB", firstMiB, total)
		}
	}
	// A 2 GiB dump in 16 MiB parts never needs a larger part.
	var sent int64
	for i := 0; sent < 2<<30; i++ {
		if size := partSize(defaultPartMiB<<20, i); size != defaultPartMiB<<20 {
			t.Fatalf("part %d of a 2 GiB object is %d bytes", i, size)
		}
		sent += defaultPartMiB << 20
	}
}
