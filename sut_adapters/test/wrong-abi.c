/* wrong-abi.c: test adapter whose table claims ABI version 99: the runner must refuse it. */
#include <stddef.h>

#include "sut_adapter.h"

static const struct sut_adapter wrong_abi = {
	.abi_version = 99,
	.name = "test-wrong-abi",
	.version = "0",
};

const struct sut_adapter *sut_adapter_v1(void);

const struct sut_adapter *sut_adapter_v1(void)
{
	return &wrong_abi;
}
