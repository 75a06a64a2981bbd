// Every manifest under deploy/kubernetes decodes strictly into the Go type of
// its apiVersion and kind: a misspelt or misplaced field, a value of the
// wrong type, a duplicated key, or a kind this list does not know fails the
// test. The Kubernetes types are those of k8s.io/api; Dapr's Component,
// Configuration and Resiliency those of github.com/dapr/dapr at the version
// sidecar/ builds.
package check

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	componentsapi "github.com/dapr/dapr/pkg/apis/components/v1alpha1"
	configurationapi "github.com/dapr/dapr/pkg/apis/configuration/v1alpha1"
	resiliencyapi "github.com/dapr/dapr/pkg/apis/resiliency/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// The kinds the manifests may use, each with a fresh value of its type.
var kinds = map[string]func() any{
	"v1/Namespace":                             func() any { return &corev1.Namespace{} },
	"v1/Service":                               func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                        func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                       func() any { return &appsv1.Deployment{} },
	"autoscaling/v2/HorizontalPodAutoscaler":   func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"networking.k8s.io/v1/Ingress":             func() any { return &networkingv1.Ingress{} },
	"policy/v1/PodDisruptionBudget":            func() any { return &policyv1.PodDisruptionBudget{} },
	"rbac.authorization.k8s.io/v1/Role":        func() any { return &rbacv1.Role{} },
	"rbac.authorization.k8s.io/v1/RoleBinding": func() any { return &rbacv1.RoleBinding{} },
	"dapr.io/v1alpha1/Component":               func() any { return &componentsapi.Component{} },
	"dapr.io/v1alpha1/Configuration":           func() any { return &configurationapi.Configuration{} },
	"dapr.io/v1alpha1/Resiliency":              func() any { return &resiliencyapi.Resiliency{} },
}

// manifests are the YAML files of deploy/kubernetes, kustomize's own file
// aside (deploy/test/kubernetes.test.ts checks that it lists them all).
func manifests(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("..", func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if entry.IsDir() && entry.Name() == "check" {
			return filepath.SkipDir
		}
		if !entry.IsDir() && strings.HasSuffix(path, ".yaml") && entry.Name() != "kustomization.yaml" {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no manifests found under deploy/kubernetes")
	}
	return files
}

func documents(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) > 0 {
			docs = append(docs, doc)
		}
	}
}

func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			out.WriteString(line + "\n")
		}
	}
	return out.Bytes()
}

func TestManifestsDecodeStrictlyIntoTheirAPITypes(t *testing.T) {
	seen := 0
	for _, path := range manifests(t) {
		for i, doc := range documents(t, path) {
			var typeMeta metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &typeMeta); err != nil {
				t.Errorf("%s #%d: %v", path, i+1, err)
				continue
			}
			key := typeMeta.APIVersion + "/" + typeMeta.Kind
			newObject, known := kinds[key]
			if !known {
				t.Errorf("%s #%d: %s is not a kind this check knows; add its Go type to kinds", path, i+1, key)
				continue
			}
			if err := yaml.UnmarshalStrict(doc, newObject()); err != nil {
				t.Errorf("%s #%d (%s): %v", path, i+1, key, err)
				continue
			}
			seen++
		}
	}
	t.Logf("%d resources decoded strictly", seen)
}

// The check itself must catch what it exists for: a misplaced field.
func TestAMisplacedFieldIsRefused(t *testing.T) {
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replica: 2\n")
	if err := yaml.UnmarshalStrict(doc, &appsv1.Deployment{}); err == nil {
		t.Fatal("spec.replica (for replicas) was accepted")
	}
	component := []byte("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\nspec:\n  type: state.redis\n  version: v1\n  metadata:\n    - name: a\n      valueFrom: b\n")
	if err := yaml.UnmarshalStrict(component, &componentsapi.Component{}); err == nil {
		t.Fatal("a component metadata item with valueFrom (for secretKeyRef) was accepted")
	}
}
