# shellcheck shell=bash
# The runtime driven through github.com/containerd/go-runc, the client
# containerd's runc shim is built on (cri-client/gorunc, one Go test a
# scenario).

gorunc_test() {
	mkdir -p "$S/gorunc"
	GORUNC_RUNTIME=$RT_WRAPPER GORUNC_ROOTFS=$S/rootfs GORUNC_TMP=$S/gorunc XDG_RUNTIME_DIR=$S/gorunc \
		"$BUILD_DIR/gorunc.test" -test.v -test.count=1 -test.timeout=80s -test.run "^$1\$"
}

gorunc_lifecycle() { gorunc_test TestLifecycle; }
gorunc_update() { gorunc_test TestUpdate; }
gorunc_pause_resume() { gorunc_test TestPauseResume; }
gorunc_delete_force() { gorunc_test TestDeleteForceRunning; }
gorunc_exec_errors() { gorunc_test TestExecErrors; }
gorunc_features() { gorunc_test TestFeatures; }

if declare -F register >/dev/null; then
	register gorunc/lifecycle gorunc_lifecycle
	register gorunc/update gorunc_update
	register gorunc/pause-resume gorunc_pause_resume
	register gorunc/delete-force-running gorunc_delete_force
	register gorunc/exec-errors gorunc_exec_errors
	register gorunc/features gorunc_features
fi
