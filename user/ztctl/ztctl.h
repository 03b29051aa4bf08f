/* SPDX-License-Identifier: GPL-2.0 */
/* ztctl.h — what the subcommands share: global options and one entry point
 * per subcommand file. */
#ifndef ZT_ZTCTL_H
#define ZT_ZTCTL_H

extern const char *ztctl_pin_root;
extern const char *ztctl_names_path;
extern const char *ztctl_socket;

struct zt_config;
/* The config at path, or the one ztd last applied when path is NULL; on
 * error it has said why (errors with their positions) and returns -errno. */
int ztctl_config_load(const char *path, struct zt_config *cfg);

#include <stdio.h>
/* For a subcommand without arguments: --help prints usage (0), anything
 * else is an error (2); -1 when there is nothing to say (go on). */
int ztctl_no_args(int argc, char **argv, const char *cmd, void (*usage)(FILE *f));
/* For a subcommand with one verb: --help prints usage (0), no verb or
 * another is an error (2); -1 when argv[1] is VERB (go on). */
int ztctl_verb(int argc, char **argv, const char *cmd, const char *verb,
	       void (*usage)(FILE *f));
/* A bad command line: "WHAT 'ARG'; see ztctl CMD --help". Returns 2. */
int ztctl_usage_error(const char *cmd, const char *what, const char *arg);

#include <linux/types.h>
struct zt_ctl_reply;
/* One request to ztd (ztctl_socket): 0, or the exit status once the
 * error is said (1 refused or failed, 3 ztd not running). */
int ztctl_call(__u16 type, const void *req, size_t n, struct zt_ctl_reply *r);
/* text and a newline into a new file of mode 0600 (never over one): 0 or
 * 1 once the error is said. */
int ztctl_write_secret(const char *path, const char *text);

int maps_main(int argc, char **argv);
int cidr_main(int argc, char **argv);
int dns_main(int argc, char **argv);
int status_main(int argc, char **argv);
int reload_main(int argc, char **argv);
int policy_main(int argc, char **argv);
int proxy_main(int argc, char **argv);
int tunnel_main(int argc, char **argv);
int split_tunnel_main(int argc, char **argv);
int user_main(int argc, char **argv);
int access_main(int argc, char **argv);

#endif
