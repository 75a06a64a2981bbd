package main

// The dapr CLI keeps what `dapr list` and `dapr stop -f` need (its own pid, the
// run file, the app's pid) in each sidecar's extended metadata: PUT
// /v1.0/metadata/<key> after start, GET /v1.0/metadata to list. No CLI release
// sends the API token with those calls (read in v1.12.0 and v1.18.0), so with
// DAPR_API_TOKEN set they are refused: `dapr list` shows no pids and
// `dapr stop -f` finds nothing to stop.
//
// With PLATFORM_CLI_METADATA=open (set by the sidecar script `npm run cli`
// writes) this build serves its HTTP API port through a small front: exactly
// those CLI calls are passed on with the token, everything else is passed on as
// it came, and daprd's own API, on a loopback port of its own, still checks the
// token of every other request.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dapr/dapr/cmd/daprd/options"
)

const cliMetadataEnv = "PLATFORM_CLI_METADATA"

// The extended-metadata keys the dapr CLI writes (v1.12.0 to v1.18.0).
var cliMetadataKeys = map[string]bool{
	"cliPID": true, "appPID": true, "appCommand": true, "runTemplatePath": true,
	"runTemplateName": true, "appLogPath": true, "daprdLogPath": true,
}

type cliMetadataFront struct {
	listeners []net.Listener
	server    *http.Server
}

// newCLIMetadataFront returns nil unless the front is asked for and the API
// requires a token. It takes over opts.DaprHTTPPort on the API listen
// addresses and moves daprd's HTTP API to a free port.
func newCLIMetadataFront(opts *options.Options) (*cliMetadataFront, error) {
	token := os.Getenv("DAPR_API_TOKEN")
	if os.Getenv(cliMetadataEnv) != "open" || token == "" || opts.UnixDomainSocket != "" {
		return nil, nil
	}
	addresses := strings.Split(opts.DaprAPIListenAddresses, ",")
	front := &cliMetadataFront{}
	for _, address := range addresses {
		listener, err := net.Listen("tcp", net.JoinHostPort(strings.TrimSpace(address), opts.DaprHTTPPort))
		if err != nil {
			front.close()
			return nil, fmt.Errorf("dapr HTTP port: %w", err)
		}
		front.listeners = append(front.listeners, listener)
	}
	apiHost := dialableHost(strings.TrimSpace(addresses[0]))
	apiPort, err := freePort(apiHost)
	if err != nil {
		front.close()
		return nil, err
	}
	opts.DaprHTTPPort = strconv.Itoa(apiPort)

	api := &url.URL{Scheme: "http", Host: net.JoinHostPort(apiHost, opts.DaprHTTPPort)}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(api)
			r.Out.Host = r.In.Host
			if isCLIMetadataCall(r.In) {
				r.Out.Header.Set("dapr-api-token", token)
			}
		},
		FlushInterval: -1,
		// Until daprd's API listens (the CLI retries on 5xx).
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, "dapr API not reachable yet: "+err.Error(), http.StatusServiceUnavailable)
		},
	}
	front.server = &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	return front, nil
}

func isCLIMetadataCall(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet:
		return r.URL.Path == "/v1.0/metadata"
	case http.MethodPut:
		key, found := strings.CutPrefix(r.URL.Path, "/v1.0/metadata/")
		return found && cliMetadataKeys[key]
	}
	return false
}

// Run serves until ctx ends, then shuts the front down.
func (f *cliMetadataFront) Run(ctx context.Context) error {
	errs := make(chan error, len(f.listeners))
	for _, listener := range f.listeners {
		go func(l net.Listener) { errs <- f.server.Serve(l) }(listener)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return f.server.Shutdown(shutdownCtx)
	}
}

func (f *cliMetadataFront) close() {
	for _, listener := range f.listeners {
		listener.Close()
	}
}

// dialableHost turns a listen address into one to connect to.
func dialableHost(address string) string {
	switch address {
	case "", "0.0.0.0":
		return "127.0.0.1"
	case "::", "[::]":
		return "::1"
	}
	return address
}

func freePort(host string) (int, error) {
	listener, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}
