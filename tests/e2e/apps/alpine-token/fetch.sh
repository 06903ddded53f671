#!/bin/sh
# Stands in for a download that authenticates with $DOWNLOAD_TOKEN from its environment.
echo "fetched with a token of ${#DOWNLOAD_TOKEN} characters"
