// Index helpers shared by the 1-D kernels.
// The host lays out `invocations` work items as a 2-D grid of workgroups
// (x up to 65535 groups); this recovers the linear item index.
#ifndef FENNEC_INDEX_GLSL
#define FENNEC_INDEX_GLSL

uint fennec_linear_index() {
  return gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
}

#endif
