/* nn_module.c - placeholder for the Module and Sequential types. */
#include "pynet.h"

int pn_nn_module_init(PyObject *module) {
    (void)module;
    return 0;
}
