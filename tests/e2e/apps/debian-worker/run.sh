#!/bin/sh
echo "worker on $WORKER_QUEUE as $(id -un) args: $*"
