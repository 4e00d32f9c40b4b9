# A local stand-in for the nginx:stable image where Docker Hub is out of
# reach: Debian's nginx-light on the same base, laid out like the official
# image (conf.d/default.conf is the only server block, logs on the
# container's stdout and stderr, nginx -g 'daemon off;' in the foreground).
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx-light \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && rm -f /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
