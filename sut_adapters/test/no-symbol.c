/* no-symbol.c: test adapter: a shared object that does not export sut_adapter_v1. */
int sut_test_not_an_adapter(void);

int sut_test_not_an_adapter(void)
{
	return 42;
}
