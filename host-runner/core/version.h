/* SPDX-License-Identifier: MIT */
#ifndef BB_VERSION
#define BB_VERSION "0.1.0"
#endif
