#!/bin/sh
# Shared by both recipes of the default image: the Dockerfile runs it in a RUN step, the offline
# (debootstrap) build runs it with chroot. Configures what sandboxes rely on, then slims the tree.
set -eu

# Workspaces are git repositories created inside the container, by root, in a bind mount or copy.
git config --system user.name hybrid-gym
git config --system user.email hybrid-gym@localhost
git config --system init.defaultBranch main
git config --system safe.directory '*'

mkdir -p /workspace
command -v python >/dev/null 2>&1 || ln -s python3 /usr/bin/python

# Keep later `apt-get install` runs in derived images as lean as this one.
mkdir -p /etc/dpkg/dpkg.cfg.d
cat > /etc/dpkg/dpkg.cfg.d/90-hybrid-gym-slim <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
cat > /etc/apt/apt.conf.d/90-hybrid-gym-slim <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
CFG

# Slim: package lists, caches, docs (licences kept), manuals, translations, logs.
rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/lib/dpkg/*-old
find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find /usr/share/doc -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/lintian /usr/share/linda
find /usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
find /var/log -type f -delete
rm -rf /tmp/* /var/tmp/* /root/.cache
