package main

import (
	localstorage "github.com/dapr/components-contrib/bindings/localstorage"
	nrmdns "github.com/dapr/components-contrib/nameresolution/mdns"
	nrsqlite "github.com/dapr/components-contrib/nameresolution/sqlite"
	psinmemory "github.com/dapr/components-contrib/pubsub/in-memory"
	psjetstream "github.com/dapr/components-contrib/pubsub/jetstream"
	psmqtt3 "github.com/dapr/components-contrib/pubsub/mqtt3"
	psrabbitmq "github.com/dapr/components-contrib/pubsub/rabbitmq"
	psredis "github.com/dapr/components-contrib/pubsub/redis"
	secretenv "github.com/dapr/components-contrib/secretstores/local/env"
	secretfile "github.com/dapr/components-contrib/secretstores/local/file"
	stinmemory "github.com/dapr/components-contrib/state/in-memory"
	stmysql "github.com/dapr/components-contrib/state/mysql"
	stpgv1 "github.com/dapr/components-contrib/state/postgresql/v1"
	stpgv2 "github.com/dapr/components-contrib/state/postgresql/v2"
	stredis "github.com/dapr/components-contrib/state/redis"
	stsqlite "github.com/dapr/components-contrib/state/sqlite"
	"github.com/dapr/dapr/pkg/components"
	bindingsLoader "github.com/dapr/dapr/pkg/components/bindings"
	nrLoader "github.com/dapr/dapr/pkg/components/nameresolution"
	pubsubLoader "github.com/dapr/dapr/pkg/components/pubsub"
	secretstoresLoader "github.com/dapr/dapr/pkg/components/secretstores"
	stateLoader "github.com/dapr/dapr/pkg/components/state"
)

// registerComponents adds the component types the platform's profiles use
// (components/<profile>/*.yaml). A YAML naming a type that is not registered
// makes daprd exit, so a new profile that needs another type adds it here.
// The names are the ones upstream daprd registers, so YAML stays portable to
// the official sidecar image.
func registerComponents() {
	stateLoader.DefaultRegistry.RegisterComponent(stredis.NewRedisStateStore, "redis")
	stateLoader.DefaultRegistry.RegisterComponent(stsqlite.NewSQLiteStateStore, "sqlite", "sqlite3")
	stateLoader.DefaultRegistry.RegisterComponent(stmysql.NewMySQLStateStore, "mysql")
	stateLoader.DefaultRegistry.RegisterComponent(stinmemory.NewInMemoryStateStore, "in-memory")
	// Same versioning as upstream: v1 unless the YAML asks for v2.
	for _, name := range []string{"postgresql", "postgres"} {
		stateLoader.DefaultRegistry.RegisterComponentWithVersions(name, components.Versioning{
			Preferred: components.VersionConstructor{Version: "v2", Constructor: stpgv2.NewPostgreSQLStateStore},
			Others:    []components.VersionConstructor{{Version: "v1", Constructor: stpgv1.NewPostgreSQLStateStore}},
			Default:   "v1",
		})
	}

	pubsubLoader.DefaultRegistry.RegisterComponent(psredis.NewRedisStreams, "redis")
	pubsubLoader.DefaultRegistry.RegisterComponent(psrabbitmq.NewRabbitMQ, "rabbitmq")
	pubsubLoader.DefaultRegistry.RegisterComponent(psjetstream.NewJetStream, "jetstream")
	pubsubLoader.DefaultRegistry.RegisterComponent(psmqtt3.NewMQTTPubSub, "mqtt3", "mqtt")
	pubsubLoader.DefaultRegistry.RegisterComponent(psinmemory.New, "in-memory")

	secretstoresLoader.DefaultRegistry.RegisterComponent(secretfile.NewLocalSecretStore, "local.file")
	secretstoresLoader.DefaultRegistry.RegisterComponent(secretenv.NewEnvSecretStore, "local.env")

	bindingsLoader.DefaultRegistry.RegisterOutputBinding(localstorage.NewLocalStorage, "localstorage")

	nrLoader.DefaultRegistry.RegisterComponent(nrsqlite.NewResolver, "sqlite")
	nrLoader.DefaultRegistry.RegisterComponent(nrmdns.NewResolver, "mdns")
}
