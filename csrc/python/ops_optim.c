/* ops_optim.c - placeholder: filled in by the optim work (see pynet.h for the op conventions). */
#include "pynet.h"

PyMethodDef pn_module_methods_optim[] = {{NULL, NULL, 0, NULL}};
