/* ops_optim.c - placeholder: filled in by the optim work (see pynet.h for the op conventions). */
#include "pynet.h"

PyMethodDef pn_module_methods_optim[] = {{NULL, NULL, 0, NULL}};

/* Called from PyInit__C: register the optimizer types with the module. */
int pn_optim_init(PyObject *module) {
    (void)module;
    return 0;
}
