# almkit benchmark performance profiles (docs/benchmark.md): run `gnuplot plots.gp` here.
set terminal pngcairo size 900,600 noenhanced font ',10'
set output 'profile_evaluations.png.tmp'
set title 'Dolan-More performance profile: gradient evaluations (74 problems)'
set logscale x 2
set xrange [1:524.4]
set yrange [0:1.05]
set xlabel 'tau: gradient evaluations / best solver on the problem'
set ylabel 'share of problems solved within tau of the best'
set key bottom right
set grid
plot 'profile_evaluations.dat' index 0 using 1:2 with steps lw 2 title 'alm-lbfgs', \
     'profile_evaluations.dat' index 1 using 1:2 with steps lw 2 title 'alm-lbfgsb', \
     'profile_evaluations.dat' index 2 using 1:2 with steps lw 2 title 'nlopt-auglag', \
     'profile_evaluations.dat' index 3 using 1:2 with steps lw 2 title 'nlopt-slsqp', \
     'profile_evaluations.dat' index 4 using 1:2 with steps lw 2 title 'ipopt'
set output
set output 'profile_time.png.tmp'
set title 'Dolan-More performance profile: wall time (74 problems)'
set logscale x 2
set xrange [1:1305.31]
set yrange [0:1.05]
set xlabel 'tau: wall time / best solver on the problem'
set ylabel 'share of problems solved within tau of the best'
set key bottom right
set grid
plot 'profile_time.dat' index 0 using 1:2 with steps lw 2 title 'alm-lbfgs', \
     'profile_time.dat' index 1 using 1:2 with steps lw 2 title 'alm-lbfgsb', \
     'profile_time.dat' index 2 using 1:2 with steps lw 2 title 'nlopt-auglag', \
     'profile_time.dat' index 3 using 1:2 with steps lw 2 title 'nlopt-slsqp', \
     'profile_time.dat' index 4 using 1:2 with steps lw 2 title 'ipopt'
set output
