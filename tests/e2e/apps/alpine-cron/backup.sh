#!/bin/sh
echo "backup of $BACKUP_DIR at TZ=$TZ"
