package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// Metrics are the server's Prometheus collectors, one set for the API and the web UI on
// one registry (NewMetrics).
type Metrics struct {
	gatherer  prometheus.Gatherer
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	appends   *prometheus.CounterVec
	conflicts *prometheus.CounterVec
	replays   prometheus.Counter
	// inflight counts the mutating requests holding a slot; overloaded those refused for
	// want of one; authFailures the failed authentications that were counted per client.
	inflight     prometheus.Gauge
	overloaded   prometheus.Counter
	authFailures prometheus.Counter
	serve        http.Handler
}

// newMetrics registers the server's collectors in reg (NewRegistry's when nil), with the
// store's usage and last sequence when store is not nil. Collectors already registered by
// an earlier handler on the same registry are reused.
func newMetrics(reg *prometheus.Registry, store *eventstore.Store, model *projections.Model, checks checkResults) *Metrics {
	if reg == nil {
		reg = NewRegistry()
	}
	m := &Metrics{gatherer: reg}
	m.requests = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "thidua", Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests by route pattern and status code.",
	}, []string{"route", "code"}))
	m.latency = register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "thidua", Subsystem: "http", Name: "request_duration_seconds",
		Help:    "HTTP request latency by route pattern and status code.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "code"}))
	m.appends = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "thidua", Subsystem: "api", Name: "appends_total",
		Help: "Commands that appended events, by route pattern (a nomination's commands as one: RouteLabel). No count of the events themselves is kept: a hold appends two where the other commands on a nomination append one, and this endpoint answers without a token.",
	}, []string{"route"}))
	m.conflicts = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "thidua", Subsystem: "api", Name: "conflicts_total",
		Help: "Commands refused by a state or concurrency conflict (409) or a stale If-Match (412), by error code.",
	}, []string{"code"}))
	m.replays = register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "thidua", Subsystem: "api", Name: "idempotent_replays_total",
		Help: "Commands answered from an earlier request with the same Idempotency-Key.",
	}))
	m.inflight = register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "thidua", Subsystem: "api", Name: "inflight_commands",
		Help: "Mutating requests being served (bounded by the in-flight limit).",
	}))
	m.overloaded = register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "thidua", Subsystem: "api", Name: "overloaded_total",
		Help: "Mutating requests refused with 503 overloaded because no slot freed up in time.",
	}))
	m.authFailures = register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "thidua", Subsystem: "api", Name: "auth_failures_total",
		Help: "Requests that presented credentials that did not authenticate.",
	}))
	if store != nil {
		register(reg, &storeCollector{usage: store.Usage, last: store.LastSeq})
	}
	if model != nil {
		registerModel(reg, model)
	}
	if checks != nil {
		registerChecks(reg, checks)
	}
	m.serve = promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	return m
}

// registerModel reports the projections' progress and integrity at each scrape: the
// stream sequence applied, and the integrity problems found (a broken hash chain, an
// event appended behind the engine's back: GET /api/v1/integrity lists them).
func registerModel(reg prometheus.Registerer, m *projections.Model) {
	register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "thidua", Subsystem: "projections", Name: "applied_sequence",
		Help: "The last stream sequence the projections applied.",
	}, func() float64 { return float64(m.Applied()) }))
	register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "thidua", Subsystem: "integrity", Name: "problems",
		Help: "Integrity problems the projections found (GET /api/v1/integrity lists them); any is a reason to run thidua verify and investigate.",
	}, func() float64 { return float64(m.IntegrityCount()) }))
}

// checkResults is what the background checks of the store found (workflows.Service).
type checkResults interface {
	DocumentChecks() (workflows.DocumentCheck, bool)
	GrantChecks() (workflows.GrantCheck, bool)
}

// registerChecks reports the problems of the latest document and grant checks at each
// scrape, as GET /api/v1/integrity does (a review finding: an alert on the projections'
// problems missed them, while /integrity said ok false).
func registerChecks(reg prometheus.Registerer, c checkResults) {
	register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "thidua", Subsystem: "integrity", Name: "document_problems",
		Help: "Documents missing or changed in the document store, as the latest check found (0 before the first).",
	}, func() float64 {
		d, _ := c.DocumentChecks()
		return float64(len(d.Problems))
	}))
	register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "thidua", Subsystem: "integrity", Name: "grant_problems",
		Help: "Grants whose recorded ranking is not the stream's, as the latest check found (0 before the first).",
	}, func() float64 {
		g, _ := c.GrantChecks()
		return float64(len(g.Problems))
	}))
}

// register registers c, or returns the collector of the same name registered before.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a programming error: two different collectors with one name
	}
	return c
}

// observe counts one request.
func (m *Metrics) observe(route string, code int, d time.Duration) {
	c := strconv.Itoa(code)
	m.requests.WithLabelValues(route, c).Inc()
	m.latency.WithLabelValues(route, c).Observe(d.Seconds())
}

// serveMetrics: GET /metrics in the Prometheus exposition format.
func (h *handler) serveMetrics(w http.ResponseWriter, r *http.Request, _ workflows.Principal) error {
	h.metrics.serve.ServeHTTP(w, r)
	return nil
}

// The store's usage, asked of JetStream at each scrape.
var (
	storeUsedDesc = prometheus.NewDesc("thidua_store_used_bytes",
		"Bytes the event store's JetStream account holds (events and documents).", nil, nil)
	storeLimitDesc = prometheus.NewDesc("thidua_store_limit_bytes",
		"The event store's storage limit in bytes (0: none known); past it writes are refused with 507 store_full.", nil, nil)
	storeDiskFreeDesc = prometheus.NewDesc("thidua_store_disk_free_bytes",
		"Free space of the embedded store's file system in bytes (0: full; NaN: not known, or an external server); below limit minus used, the disk fills before the limit.", nil, nil)
	storeLastSeqDesc = prometheus.NewDesc("thidua_store_last_sequence",
		"The event stream's last sequence (NaN: the store did not answer); minus thidua_projections_applied_sequence, how far this server's projections are behind.", nil, nil)
)

// storeCollector reports the store's usage and limit (eventstore.Store.Usage) and the
// stream's last sequence (a review finding: the projections' lag could not be seen).
type storeCollector struct {
	usage func(context.Context) (eventstore.Usage, error)
	last  func(context.Context) (uint64, error)
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeUsedDesc
	ch <- storeLimitDesc
	ch <- storeDiskFreeDesc
	ch <- storeLastSeqDesc
}

// Collect implements prometheus.Collector: NaN when the store does not answer in time.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	used, limit, free := math.NaN(), math.NaN(), math.NaN()
	if u, err := c.usage(ctx); err == nil {
		used, limit = float64(u.Used), float64(u.Limit)
		if u.DiskFree >= 0 {
			free = float64(u.DiskFree)
		}
	}
	ch <- prometheus.MustNewConstMetric(storeUsedDesc, prometheus.GaugeValue, used)
	ch <- prometheus.MustNewConstMetric(storeLimitDesc, prometheus.GaugeValue, limit)
	ch <- prometheus.MustNewConstMetric(storeDiskFreeDesc, prometheus.GaugeValue, free)
	last := math.NaN()
	if seq, err := c.last(ctx); err == nil {
		last = float64(seq)
	}
	ch <- prometheus.MustNewConstMetric(storeLastSeqDesc, prometheus.GaugeValue, last)
}
