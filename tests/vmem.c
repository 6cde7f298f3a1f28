/* vmem.c - virtio-mem targets: hr_vmem_round() to vmem-base plus whole blocks, within the device. */
#include "core/scenario.h"
#include "core/vmem.h"
#include "tap.h"

#define MIB 1024ull

int main(void)
{
	struct hr_job j;

	plan(8);
	hr_job_defaults(&j);
	j.mechanism = HR_MECH_VMEM;
	j.memory_kib = 1024 * MIB;
	j.vmem_base_kib = 256 * MIB;
	j.vmem_block_kib = 2 * MIB;
	is_int(hr_vmem_size(&j), 768 * MIB, "device: memory - vmem-base");
	is_int(hr_vmem_round(&j, 512 * MIB), 512 * MIB, "a whole number of blocks stays");
	is_int(hr_vmem_round(&j, 301 * MIB), 302 * MIB, "301M: 45 MiB above base rounds to 46");
	is_int(hr_vmem_round(&j, 300 * MIB + 1023), 300 * MIB, "just above a block boundary rounds down");
	is_int(hr_vmem_round(&j, 256 * MIB), 256 * MIB, "vmem-base: nothing plugged");
	is_int(hr_vmem_round(&j, 100 * MIB), 256 * MIB, "below vmem-base: no lower than it");
	is_int(hr_vmem_round(&j, 1023 * MIB + 512), 1024 * MIB, "near the top rounds to the device's size");
	j.vmem_block_kib = 128 * MIB;
	is_int(hr_vmem_round(&j, 1000 * MIB), 1024 * MIB, "128M blocks: 744 MiB above base -> 768");
	return done_testing();
}
