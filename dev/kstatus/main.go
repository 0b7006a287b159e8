// Command kstatus prints what sigs.k8s.io/cli-utils/pkg/kstatus/status (the library behind
// Flux's health checks, kubectl's apply --prune and cli-utils) computes for Kubernetes objects.
//
// It reads one JSON object or a List (`kubectl get ... -o json`) on stdin and prints one line
// per object: "Kind/namespace/name<TAB>Status<TAB>message", Status being Current, InProgress,
// Failed, Terminating, NotFound or Unknown. Used by keyops' real API server tests (built by
// dev/kstatus/build, cached outside the repository).
package main

import (
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	var obj map[string]any
	// apimachinery's Unmarshal keeps integers int64, as unstructured objects need them.
	if err := json.Unmarshal(in, &obj); err != nil {
		fail(fmt.Errorf("stdin is not a JSON object: %w", err))
	}
	items := []any{obj}
	if list, ok := obj["items"].([]any); ok {
		items = list
	}
	for _, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			fail(fmt.Errorf("an item is not an object"))
		}
		u := &unstructured.Unstructured{Object: m}
		res, err := status.Compute(u)
		if err != nil {
			fail(fmt.Errorf("%s/%s: %w", u.GetKind(), u.GetName(), err))
		}
		fmt.Printf("%s/%s/%s\t%s\t%s\n", u.GetKind(), u.GetNamespace(), u.GetName(), res.Status, res.Message)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kstatus:", err)
	os.Exit(2)
}
