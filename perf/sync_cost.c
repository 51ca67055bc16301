/* What one group commit costs the writer thread on this disk, without smppd: COUNT writes of
   SIZE bytes, each followed by fdatasync (MODE 0: buffered pwrite; 1: O_DIRECT, sizes rounded
   up to 4 KiB; 2: O_DIRECT|O_DSYNC, no fdatasync), into a 256 MiB file pre-allocated and written
   once (as a recycled journal segment is). Prints wall-time percentiles per commit and the CPU
   time (user + system) per commit.
   Build and run: cc -O2 -o /tmp/sync_cost perf/sync_cost.c && /tmp/sync_cost MODE SIZE COUNT [FILE]
   (e.g. 0 16384 3000 /path/on/the/journal/disk/x.dat; the file is removed after). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/uio.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
static double cpu(){struct rusage r;getrusage(RUSAGE_SELF,&r);return r.ru_utime.tv_sec*1e6+r.ru_utime.tv_usec+r.ru_stime.tv_sec*1e6+r.ru_stime.tv_usec;}
int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  int mode=atoi(argv[1]); int sz=atoi(argv[2]); int n=atoi(argv[3]);
  const char*path=argc>4?argv[4]:"sync_cost.dat";
  int fd=open(path,O_RDWR|O_CREAT,0644); ftruncate(fd,0); posix_fallocate(fd,0,256<<20);
  char*z=aligned_alloc(4096,1<<20); memset(z,0,1<<20); for(long o=0;o<(256<<20);o+=1<<20) pwrite(fd,z,1<<20,o); fsync(fd); close(fd);
  int fl=O_RDWR; if(mode>=1) fl|=O_DIRECT; if(mode==2) fl|=O_DSYNC;
  fd=open(path,fl);
  char*buf=aligned_alloc(4096,1<<20); memset(buf,7,1<<20);
  double*lat=malloc(n*sizeof(double)); long off=0; double c0=cpu(),t0=now();
  for(int i=0;i<n;i++){ double s=now(); int len=mode>=1?((sz+4095)/4096)*4096:sz;
    if(pwrite(fd,buf,len,off)!=len){perror("pwrite");return 1;}
    if(mode!=2) fdatasync(fd);
    off+= mode>=1? (sz/4096)*4096 : sz; lat[i]=now()-s; }
  double c1=cpu(),t1=now(); qsort(lat,n,sizeof(double),cmp);
  printf("mode %d size %d: p50 %.0f p90 %.0f p99 %.0f max %.0f us; cpu/op %.1f us; wall/op %.1f\n",mode,sz,lat[n/2],lat[n*9/10],lat[n*99/100],lat[n-1],(c1-c0)/n,(t1-t0)/n);
  unlink(path); return 0;}
