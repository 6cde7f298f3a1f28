/* A module with one byte of TLS, as libvirt's QEMU driver has (tests/lsan.t). */
__thread char bb_tls_flag;
void bb_touch(void);
void bb_touch(void)
{
	bb_tls_flag = 1;
}
