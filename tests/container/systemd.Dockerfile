# A Debian 12 that boots systemd, with claude-proxy installed the way
# deploy/systemd/ and deploy/README.md say: the binary and the launcher
# from the claude-proxy image, the units as shipped, the claude-proxy user.
# The build context is a directory holding deploy/systemd/* and
# claude-proxy.env (tests/container/systemd.sh makes it).
FROM claude-proxy:latest AS app

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends systemd systemd-sysv dbus \
        libfcgi0ldbl libcjson1 libcurl4 ca-certificates spawn-fcgi \
        multiwatch libfcgi-bin procps \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && systemctl mask getty.target console-getty.service systemd-udevd.service \
        systemd-udev-trigger.service systemd-firstboot.service \
        systemd-networkd.service systemd-resolved.service \
        systemd-timesyncd.service
COPY --from=app /usr/local/sbin/claude-proxy /usr/local/sbin/claude-proxy-pool \
    /usr/local/sbin/
COPY claude-proxy.socket claude-proxy.service claude-proxy-pool.service \
    /etc/systemd/system/
COPY claude-proxy.env /etc/claude-proxy/claude-proxy.env
RUN useradd --system --no-create-home --shell /usr/sbin/nologin claude-proxy
ENV container=docker
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
