package workflows_test

import (
	"fmt"
	"os"
	"testing"

	"thidua/eventstore/estest"
)

var srv *estest.Server

func TestMain(m *testing.M) {
	var err error
	srv, err = estest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	srv.Shutdown()
	os.Exit(code)
}
