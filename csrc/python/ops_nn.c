/* ops_nn.c - placeholder: filled in by the nn work (see pynet.h for the op conventions). */
#include "pynet.h"

PyMethodDef pn_module_methods_nn[] = {{NULL, NULL, 0, NULL}};
